// Keyboard shortcuts and quicker decisions for the queue. Everything here also works
// without JavaScript through the plain forms; this file only saves page loads.
// No inline script anywhere (the Content-Security-Policy forbids it), and comment text
// is never inserted as HTML: messages go in with textContent.
(function () {
  "use strict";

  var list = document.getElementById("queue-list");
  var help = document.getElementById("key-help");
  var current = -1;

  function cards() {
    return Array.prototype.slice.call(document.querySelectorAll("article.comment:not(.decided)"));
  }

  function select(index) {
    var all = cards();
    if (!all.length) return null;
    index = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (card) { card.classList.remove("current"); });
    var card = all[index];
    card.classList.add("current");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
    current = index;
    return card;
  }

  function currentCard() {
    var all = cards();
    if (current < 0 || current >= all.length) return select(0);
    return all[current];
  }

  function showMessage(text, category) {
    var messages = document.getElementById("messages");
    if (!messages) return;
    var p = document.createElement("p");
    p.className = "message message-" + (category || "info");
    p.textContent = text;
    messages.replaceChildren(p);
  }

  function refreshCounts() {
    var tabs = document.querySelector(".tabs[data-counts-url]");
    if (!tabs) return;
    fetch(tabs.getAttribute("data-counts-url"), { headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (counts) {
        if (!counts) return;
        Object.keys(counts).forEach(function (tab) {
          var badge = tabs.querySelector('a[data-tab="' + tab + '"] .count');
          if (badge) badge.textContent = counts[tab].text;
        });
      })
      .catch(function () { /* counts refresh on the next page load */ });
  }

  // Post a decision form in the background; fall back to a normal submit on failure.
  function sendDecision(form) {
    var card = form.closest("article.comment");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (body) { return body; });
      })
      .then(function (body) {
        showMessage(body.message, body.category);
        if (body.ok && card) {
          var wasCurrent = card.classList.contains("current");
          card.classList.add("decided");
          var badge = card.querySelector(".badge.status");
          if (badge && body.status) {
            badge.textContent = body.status;
            badge.className = "badge status status-" + body.status;
          }
          card.classList.remove("current");
          card.querySelectorAll("button, input, select").forEach(function (el) { el.disabled = true; });
          refreshCounts();
          if (!cards().length) {
            window.location.reload();
          } else if (wasCurrent) {
            select(current);
          }
        }
      })
      .catch(function () { form.submit(); });
  }

  if (list) {
    list.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.classList.contains("decision")) {
        event.preventDefault();
        sendDecision(form);
      }
    });
  }

  function submitAction(action) {
    var card = currentCard();
    if (!card) return;
    var form = card.querySelector('form.decision[data-action="' + action + '"]');
    if (!form) return;
    if (action === "reject") {
      var details = form.closest("details");
      if (details) details.open = true;
      var reason = form.querySelector("select");
      if (reason) reason.focus();
      return;
    }
    form.requestSubmit();
  }

  // Enter in a reject form's reason list submits it.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && target.tagName === "SELECT" && target.form &&
        target.form.classList.contains("reject-form")) {
      event.preventDefault();
      target.form.requestSubmit();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var tag = event.target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || event.target.isContentEditable) return;
    if (help && help.open && event.key !== "?" && event.key !== "Escape") return;
    var card;
    switch (event.key) {
      case "j": select(current + 1); break;
      case "k": select(current - 1); break;
      case "a": submitAction("approve"); break;
      case "r": submitAction("reject"); break;
      case "s": submitAction("spam"); break;
      case "e": submitAction("escalate"); break;
      case "x":
        card = currentCard();
        var box = card && card.querySelector('input[type="checkbox"][name="selected"]');
        if (box) box.checked = !box.checked;
        break;
      case "u":
        var undo = document.getElementById("undo-last-form");
        if (undo) undo.requestSubmit();
        break;
      case "o":
      case "Enter":
        if (event.target.tagName === "A" || event.target.tagName === "BUTTON") return;
        card = currentCard();
        var link = card && card.querySelector("a.context-link");
        if (link) window.location.href = link.href;
        break;
      case "?":
        if (!help) return;
        if (help.open) help.close(); else help.showModal();
        break;
      default:
        return;
    }
    event.preventDefault();
  });

  if (cards().length) select(0);
})();
