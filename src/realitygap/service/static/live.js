// Live figures of the dashboard: asks /app/live.json (same host, same filter) every few
// seconds and writes the open campaigns' response rates and the gap headline into the page.
// Text only (textContent): nothing from the server is ever parsed as HTML.
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box) { return; }
  var url = box.getAttribute("data-live");
  var seconds = Number(box.getAttribute("data-seconds")) || 15;
  var gap = document.getElementById("live-gap");
  var list = document.getElementById("live-campaigns");
  var stamp = document.getElementById("live-updated");

  function show(data) {
    gap.textContent = data.gap ? data.gap.text : "No gap headline for this filter.";
    while (list.firstChild) { list.removeChild(list.firstChild); }
    if (!data.campaigns.length) {
      var none = document.createElement("li");
      none.textContent = "No open survey campaign.";
      list.appendChild(none);
    }
    data.campaigns.forEach(function (c) {
      var item = document.createElement("li");
      item.textContent = c.text;
      item.setAttribute("data-campaign", c.campaign_id);
      item.setAttribute("data-completed", String(c.completed));
      list.appendChild(item);
    });
    stamp.textContent = "Updated " + new Date().toLocaleTimeString();
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(show)
      .catch(function () { stamp.textContent = "Live figures unavailable; retrying."; })
      .finally(function () { window.setTimeout(poll, seconds * 1000); });
  }
  poll();
}());
