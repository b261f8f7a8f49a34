/* examsite exam player: countdown, keyboard shortcuts, strike-out, focus after htmx swaps.
 *
 * Progressive enhancement only: every control works as a plain form without this file.
 * The countdown only displays the server's deadline (data-deadline, epoch ms) corrected
 * for the client's clock (data-server-now); the server decides when time is up.
 */
(function () {
  "use strict";

  var MILESTONES = [30, 10, 5, 1]; // minutes left announced to screen readers, once each
  var LOW_MINUTES = 5;
  var timer = null;

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function formatRemaining(ms) {
    var total = Math.max(0, Math.ceil(ms / 1000));
    var hours = Math.floor(total / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var seconds = total % 60;
    return hours ? hours + ":" + pad(minutes) + ":" + pad(seconds) : minutes + ":" + pad(seconds);
  }

  function announce(text) {
    var region = document.getElementById("timer-announce");
    if (region) region.textContent = text;
  }

  function startCountdown(root) {
    var element = root.querySelector ? root.querySelector("[data-deadline]") : null;
    if (!element) return;
    if (timer) window.clearInterval(timer);
    var deadline = Number(element.getAttribute("data-deadline"));
    var serverNow = Number(element.getAttribute("data-server-now"));
    var loadedAt = performance.now();
    var value = element.querySelector("[data-timer-value]");
    var expireUrl = element.getAttribute("data-expire-url");
    var remaining = function () {
      return deadline - serverNow - (performance.now() - loadedAt);
    };
    // Milestones already behind us when the page loads are not announced again.
    var announced = {};
    MILESTONES.forEach(function (m) {
      if (remaining() <= m * 60000) announced[m] = true;
    });
    var tick = function () {
      var left = remaining();
      value.textContent = formatRemaining(left);
      element.classList.toggle("timer-low", left <= LOW_MINUTES * 60000);
      MILESTONES.forEach(function (m) {
        if (!announced[m] && left <= m * 60000) {
          announced[m] = true;
          announce(m === 1 ? "1 minute left." : m + " minutes left.");
        }
      });
      if (left <= 0) {
        window.clearInterval(timer);
        timer = null;
        announce("Time is up. Your exam is being submitted.");
        // The server submits the attempt on the next request and shows the report.
        window.setTimeout(function () {
          window.location.assign(expireUrl);
        }, 1000);
      }
    };
    tick();
    if (remaining() > 0) timer = window.setInterval(tick, 1000);
  }

  function initStrikes(root) {
    var exam = document.getElementById("exam");
    if (!exam || !root.querySelectorAll) return;
    var key = "examsite:struck:" + exam.getAttribute("data-attempt");
    var struck;
    try {
      struck = JSON.parse(window.sessionStorage.getItem(key) || "[]");
    } catch (error) {
      struck = [];
    }
    root.querySelectorAll("[data-strike]").forEach(function (button) {
      if (button.hasAttribute("data-bound")) return;
      button.setAttribute("data-bound", "");
      button.hidden = false;
      var id = button.getAttribute("data-strike");
      var option = button.closest(".option");
      var apply = function (on) {
        option.classList.toggle("struck", on);
        button.setAttribute("aria-pressed", on ? "true" : "false");
      };
      apply(struck.indexOf(id) >= 0);
      button.addEventListener("click", function () {
        var at = struck.indexOf(id);
        if (at >= 0) struck.splice(at, 1);
        else struck.push(id);
        try {
          window.sessionStorage.setItem(key, JSON.stringify(struck));
        } catch (error) {
          /* storage full or disabled: striking still works for this page */
        }
        apply(at < 0);
      });
    });
  }

  function focusQuestion(root) {
    var target = root.querySelector("#form-error") || root.querySelector("#question-heading");
    if (target) target.focus();
  }

  function isTyping(target) {
    if (!target || !target.closest) return false;
    if (target.closest("textarea, select, [contenteditable=''], [contenteditable='true']")) {
      return true;
    }
    if (target.tagName === "INPUT") {
      return ["radio", "checkbox", "button", "submit"].indexOf(target.type) < 0;
    }
    return false;
  }

  var SHORTCUTS = { n: "next", p: "prev", f: "flag" };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) return;
    var name = SHORTCUTS[(event.key || "").toLowerCase()];
    if (!name) return;
    var button = document.querySelector('#exam [data-shortcut="' + name + '"]');
    if (!button || button.disabled) return;
    event.preventDefault();
    button.click();
  });

  function onLoad(element) {
    initStrikes(element);
    startCountdown(element);
    if (element.id === "exam") focusQuestion(element); // swapped in by Previous/Next
  }

  function start() {
    var exam = document.getElementById("exam");
    if (exam) focusQuestion(exam);
    if (window.htmx) {
      window.htmx.onLoad(function (element) {
        if (element === document.body) {
          initStrikes(element);
          startCountdown(element);
        } else {
          onLoad(element);
        }
      });
    } else {
      initStrikes(document);
      startCountdown(document);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
