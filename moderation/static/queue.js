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
    document.querySelectorAll("article.comment.current").forEach(function (card) {
      card.classList.remove("current");
    });
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

  // j past the last comment: the next page (keyset paging), whose first comment gets focus.
  function next() {
    var all = cards();
    if (current >= all.length - 1) {
      var link = document.getElementById("next-page");
      if (link) {
        window.location.href = link.href;
        return;
      }
    }
    select(current + 1);
  }

  // Beside the comment (or the toolbar) it is about; at the page top when there is no place.
  function showMessage(text, category, where) {
    var box = where || document.getElementById("messages");
    if (!box) return;
    var p = document.createElement("p");
    p.className = "message message-" + (category || "info");
    p.textContent = text;
    box.replaceChildren(p);
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

  function setStatus(card, status) {
    var badge = card.querySelector(".row-line .badge.status") || card.querySelector(".badge.status");
    if (badge && status) {
      badge.textContent = status;
      badge.className = "badge status status-" + status;
    }
  }

  // After a conflict: show the comment as it is now (status, who decided), and take the
  // version it has now, so that a deliberate second decision is possible.
  function refreshAfterConflict(card, body) {
    setStatus(card, body.status);
    card.classList.add("conflicted");
    card.setAttribute("data-status", body.status || "");
    if (body.version !== undefined && body.version !== null) {
      card.querySelectorAll('input[name="version"]').forEach(function (input) {
        input.value = body.version;
      });
      var box = card.querySelector('input[name="selected"]');
      if (box) box.value = card.getAttribute("data-comment-id") + ":" + body.version;
    }
  }

  // An opened row's scores, parent, author and article, fetched the first time it opens.
  // The fragment is the server's autoescaped HTML, parsed by DOMParser (which runs no
  // script; the Content-Security-Policy forbids inline handlers too).
  function loadDetails(card) {
    var box = card.querySelector(".row-details[data-details-url]");
    if (!box || box.hasAttribute("data-loading")) return;
    box.setAttribute("data-loading", "");
    fetch(box.getAttribute("data-details-url"), { credentials: "same-origin" })
      .then(function (response) {
        // Signed out meanwhile: the sign-in page, not a fragment; the link stays.
        if (!response.ok || response.redirected) throw new Error("not loaded");
        return response.text();
      })
      .then(function (html) {
        var fragment = new DOMParser().parseFromString(html, "text/html").body;
        box.replaceChildren.apply(box, Array.prototype.slice.call(fragment.childNodes));
        box.removeAttribute("data-details-url");
        box.classList.add("loaded");
      })
      .catch(function () { box.removeAttribute("data-loading"); });
  }

  // Post a decision form in the background; fall back to a normal submit on failure.
  // Approve, spam and escalate share a form: the button pressed says where it posts.
  function sendDecision(form, button) {
    var url = button && button.hasAttribute("formaction") ? button.formAction : form.action;
    var card = form.closest("article.comment");
    var where = card && card.querySelector(".row-message");
    fetch(url, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      })
      .then(function (answer) {
        var body = answer.body;
        showMessage(body.message, body.category, where);
        if (!card) return;
        if (answer.status === 409) {
          refreshAfterConflict(card, body);  // stays current: read it, decide again or move on
          return;
        }
        if (body.ok) {
          var wasCurrent = card.classList.contains("current");
          card.classList.add("decided");
          card.classList.remove("conflicted");
          setStatus(card, body.status);
          var details = card.querySelector("details.row");
          if (details) details.open = false;
          card.classList.remove("current");
          card.querySelectorAll(".row-body button, .row-body input, .row-body select, .select input")
            .forEach(function (el) { el.disabled = true; });
          refreshCounts();
          if (!cards().length && !document.getElementById("next-page")) {
            window.location.reload();
          } else if (wasCurrent) {
            // The message stays beside the decided comment; focus goes to the next one.
            if (current >= cards().length) next(); else select(current);
          }
        }
      })
      .catch(function () {
        form.action = url;
        form.submit();
      });
  }

  if (list) {
    list.addEventListener("submit", function (event) {
      var form = event.target;
      if (form.classList.contains("decision")) {
        event.preventDefault();
        sendDecision(form, event.submitter);
      }
    });
    // "toggle" does not bubble: caught on its way down.
    list.addEventListener("toggle", function (event) {
      var row = event.target;
      if (row.matches && row.matches("details.row") && row.open) {
        loadDetails(row.closest("article.comment"));
      }
    }, true);
    // A click on a row makes it the current one, so the keys act on what was clicked.
    list.addEventListener("click", function (event) {
      var card = event.target.closest("article.comment:not(.decided)");
      if (card) {
        var index = cards().indexOf(card);
        if (index >= 0 && index !== current) select(index);
      }
    });
  }

  // "All matching this view": ask for the exact count first, confirm it, then post the
  // form with that count (the server refuses if the view matches another number by then).
  var bulkForm = document.getElementById("bulk-form");
  var confirmDialog = document.getElementById("bulk-confirm");
  if (bulkForm && confirmDialog) {
    bulkForm.addEventListener("submit", function (event) {
      if (bulkForm.elements.scope.value !== "matching" || bulkForm.elements.confirmed) return;
      event.preventDefault();
      var where = document.getElementById("bulk-message");
      // getAttribute: the form's "action" property is its field named action.
      fetch(bulkForm.getAttribute("action"), {
        method: "POST",
        body: new FormData(bulkForm),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then(function (response) { return response.json(); })
        .then(function (body) {
          if (body.category !== "confirm") {
            showMessage(body.message, body.category, where);
            return;
          }
          document.getElementById("bulk-confirm-text").textContent = body.message;
          document.getElementById("bulk-confirm-yes").textContent = body.button;
          confirmDialog.returnValue = "";
          confirmDialog.onclose = function () {
            if (confirmDialog.returnValue !== "yes") return;
            var count = document.createElement("input");
            count.type = "hidden";
            count.name = "confirmed";
            count.value = String(body.count);
            bulkForm.appendChild(count);
            bulkForm.submit();
          };
          confirmDialog.showModal();
        })
        .catch(function () { bulkForm.submit(); });
    });
  }

  // On a phone the toolbar starts folded, leaving the screen to the comments.
  var toolbar = document.getElementById("toolbar");
  if (toolbar && window.matchMedia("(max-width: 40rem)").matches) toolbar.open = false;

  function submitAction(action) {
    var card = currentCard();
    if (!card) return;
    if (action !== "reject") {
      var button = card.querySelector('.decisions button[data-action="' + action + '"]');
      if (button) button.form.requestSubmit(button);
      return;
    }
    var form = card.querySelector('form.decision[data-action="reject"]');
    if (!form) return;
    var row = card.querySelector("details.row");
    if (row) row.open = true;
    var details = form.closest("details.reject-details");
    if (details) details.open = true;
    var reason = form.querySelector("select");
    if (reason) reason.focus();
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
    if (confirmDialog && confirmDialog.open) return;
    var card;
    switch (event.key) {
      case "j": next(); break;
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
        if (tag === "A" || tag === "BUTTON" || tag === "SUMMARY") return;
        card = currentCard();
        var row = card && card.querySelector("details.row");
        if (row) {
          row.open = !row.open;
        } else {  // the context page's card: nothing to open in place
          return;
        }
        break;
      case "c":
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
