// Search as you type on the members page. Without JavaScript the form is a plain GET search.
(function () {
  "use strict";
  var form = document.querySelector("form[data-search-url]");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var out = document.getElementById("search-results");
  var labels = document.getElementById("search-labels").content;
  var label = function (key) { return labels.querySelector("[data-" + key + "]").textContent; };
  var timer = null;
  var latest = 0;

  function cell(row, text, href) {
    var td = document.createElement("td");
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
    row.appendChild(td);
  }

  function render(results) {
    out.textContent = "";
    if (!results.length) {
      var p = document.createElement("p");
      p.className = "empty";
      p.textContent = label("none");
      out.appendChild(p);
      return;
    }
    var table = document.createElement("table");
    table.className = "results";
    var head = table.createTHead().insertRow();
    ["name", "phone", "card", "status"].forEach(function (key) {
      var th = document.createElement("th");
      th.textContent = label(key);
      head.appendChild(th);
    });
    var body = table.createTBody();
    results.forEach(function (m) {
      var row = body.insertRow();
      cell(row, m.name, m.url);
      cell(row, m.phone);
      cell(row, m.card_number);
      cell(row, m.status);
      if (m.note) {
        var note = document.createElement("strong");
        note.className = "error";
        note.textContent = " " + m.note;
        row.lastChild.appendChild(note);
      }
    });
    out.appendChild(table);
  }

  function search() {
    var q = input.value.trim();
    var ticket = ++latest;
    if (!q) { out.textContent = ""; return; }
    fetch(form.dataset.searchUrl + "?q=" + encodeURIComponent(q), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { if (ticket === latest) render(data.results); })
      .catch(function () { /* keep the last results; the submit button still works */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  // Enter on a single result opens it: the front desk scans a card and lands on the member.
  form.addEventListener("submit", function (event) {
    var links = out.querySelectorAll("tbody a");
    if (links.length === 1 && input.value.trim()) {
      event.preventDefault();
      window.location.href = links[0].href;
    }
  });
})();
