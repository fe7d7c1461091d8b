// Live preview of the member discount and the points a purchase will earn. The server computes
// it with the same rules code as the posting; this only sends the form's lines and shows the
// answer.
(function () {
  "use strict";
  const form = document.getElementById("purchase-form");
  if (!form) return;
  const url = form.dataset.previewUrl;
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const errorBox = document.getElementById("preview-error");
  let timer = null;
  let sequence = 0;

  function collect() {
    const lines = [];
    form.querySelectorAll("tr.line").forEach(function (row) {
      const value = function (suffix) {
        const input = row.querySelector("[name$='-" + suffix + "']");
        return input ? input.value : "";
      };
      if (value("list_amount").trim() !== "") {
        lines.push({
          list_amount: value("list_amount"),
          category: value("category"),
          quantity: value("quantity") || "1",
        });
      }
    });
    const points = form.querySelector("[name=points_used]");
    return { lines: lines, points_used: points ? points.value || "0" : "0" };
  }

  function show(data) {
    form.querySelectorAll("#purchase-preview [data-field]").forEach(function (cell) {
      const v = data[cell.dataset.field];
      cell.textContent = v === undefined ? "—" : String(v);
    });
  }

  function refresh() {
    const body = collect();
    if (!body.lines.length) return show({});
    const mine = ++sequence;
    fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body),
      credentials: "same-origin",
    })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (mine !== sequence) return; // a newer request is on its way
        errorBox.hidden = !data.error;
        errorBox.textContent = data.error || "";
        if (!data.error) show(data);
      })
      .catch(function () {});
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
  refresh();
})();
