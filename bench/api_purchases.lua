-- wrk script for `bench/points.py api --load wrk`: POST /api/v1/<tenant>/purchases/ with a
-- fresh Idempotency-Key per request, members taken in turn. Settings come from the environment
-- (BENCH_API_PATH, BENCH_API_KEY, BENCH_STORE, BENCH_MEMBERS as "first:count", BENCH_RUN).
local path = os.getenv("BENCH_API_PATH")
local key = os.getenv("BENCH_API_KEY")
local store = tonumber(os.getenv("BENCH_STORE"))
local first, count = os.getenv("BENCH_MEMBERS"):match("(%d+):(%d+)")
first, count = tonumber(first), tonumber(count)
local run = os.getenv("BENCH_RUN")
local threads = {}
local index = 0

function setup(thread)
  index = index + 1
  thread:set("id", index)
  table.insert(threads, thread)
end

local sent = 0
function request()
  sent = sent + 1
  local member = first + ((id * 7919 + sent) % count)
  local body = string.format(
    '{"member": %d, "store": %d, "lines": [{"list_amount": "128.50", "category": "goods"}, '
      .. '{"list_amount": "20.00", "category": "x"}]}',
    member, store)
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Api-Key " .. key,
    ["Idempotency-Key"] = string.format("wrk-%s-%d-%d", run, id, sent),
  }, body)
end

function done(summary, latency, requests)
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    "WRK requests=%d seconds=%.3f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, bad))
end
