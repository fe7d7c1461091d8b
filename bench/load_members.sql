-- Bulk-load benchmark members into an already migrated database (see bench/members_search.py).
-- :big is the number of members of the one large tenant, :small of each of the ten others.
CREATE OR REPLACE FUNCTION bench_luhn(digits text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT ((10 - sum(CASE WHEN (length(digits) - i) % 2 = 0
                         THEN (CASE WHEN d * 2 > 9 THEN d * 2 - 9 ELSE d * 2 END)
                         ELSE d END) % 10) % 10)::text
  FROM (SELECT i, substr(digits, i, 1)::int AS d FROM generate_series(1, length(digits)) i) s
$$;

TRUNCATE membership_card, membership_member, membership_cardcounter CASCADE;
DELETE FROM core_tenant WHERE slug LIKE 'bench-%';

INSERT INTO core_tenant (name, slug, currency, time_zone, phone_region, default_language, is_active, created_at)
SELECT 'Bench ' || t, 'bench-' || t, 'CNY', 'Asia/Shanghai', 'CN', 'zh-hans', true, now()
FROM unnest(ARRAY['big','s01','s02','s03','s04','s05','s06','s07','s08','s09','s10']) t;

CREATE TEMP TABLE bench_plan AS
SELECT id AS tenant_id, CASE WHEN slug = 'bench-big' THEN :big ELSE :small END AS n
FROM core_tenant WHERE slug LIKE 'bench-%';

-- Names: a common surname (王 李 张 … weighted like real life: the first few are frequent) and
-- one or two given-name characters.
INSERT INTO membership_member (tenant_id, name, gender, phone, id_type, id_number_encrypted,
  id_number_digest, id_number_last4, email, birthday, employer, address, notes, joined_on,
  status, card_number, created_at, language)
SELECT p.tenant_id,
  (ARRAY['王','李','张','刘','陈','杨','黄','赵','吴','周','徐','孙','马','朱','胡','郭','何','高','林','罗'])[1 + (i::bigint * 7919) % 20]
    || (ARRAY['伟','芳','娜','敏','静','丽','强','磊','军','洋','勇','艳','杰','娟','涛','明','超','秀','霞','平'])[1 + (i::bigint * 104729) % 20]
    || CASE WHEN i % 3 = 0 THEN '' ELSE (ARRAY['华','英','玉','兰','红','梅','林','云','峰','宇'])[1 + (i::bigint * 31) % 10] END,
  CASE WHEN i % 2 = 0 THEN 'female' ELSE 'male' END,
  '+86139' || lpad(i::text, 8, '0'),
  '', '', '', '', '',
  date '1960-01-01' + ((i::bigint * 37) % 18000)::int,
  '', '', '',
  date '2020-01-01' + i % 2000,
  'active',
  '8' || lpad(i::text, 8, '0') || bench_luhn('8' || lpad(i::text, 8, '0')),
  now(),
  ''
FROM bench_plan p, generate_series(1, p.n) i;

INSERT INTO membership_card (tenant_id, member_id, number, status, issued_at, reason)
SELECT tenant_id, id, card_number, 'active', now(), '' FROM membership_member;

INSERT INTO membership_cardcounter (tenant_id, last_value)
SELECT tenant_id, n FROM bench_plan;

ANALYZE membership_member;
ANALYZE membership_card;
