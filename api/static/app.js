// Live deadline countdowns: each [data-deadline] element shows time left and re-colours itself.
(function () {
  function fmt(ms) {
    var neg = ms < 0, s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    var t = (d ? d + " ngày " : "") + h + " giờ " + m + " phút";
    return neg ? "quá hạn " + t : "còn " + t;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var end = Date.parse(el.dataset.deadline);
      if (!isNaN(end)) { el.textContent = fmt(end - now); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 30000); });
  document.addEventListener("htmx:afterSwap", tick);
})();
