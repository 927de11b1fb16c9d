// The web chat's one script. The page works without it; with it: Quick exit leaves no page to go back to
// (button or Esc), forms post without reloading, and new lines (a supporter, the quiet-time warning) arrive live.
// Nothing is stored in the browser: no localStorage, no sessionStorage, no service worker.
(function () {
  "use strict";

  function exitUrl() {
    return document.body.getAttribute("data-exit") || "about:blank";
  }

  function token() {
    var field = document.querySelector("input[name=t]");
    return field ? field.value : "";
  }

  var source = null;
  var leaving = false;

  function quickExit(event) {
    if (event) {
      event.preventDefault();
    }
    leaving = true;   // nothing may ask for the page again (that would open a new chat)
    if (source) {
      source.close();
    }
    try {
      navigator.sendBeacon("/leave", new URLSearchParams({ t: token() }));
    } catch (ignored) {
      // leaving matters more than erasing: the quiet time erases the chat anyway
    }
    var main = document.getElementById("main");
    if (main) {
      main.textContent = "";
    }
    window.location.replace(exitUrl());
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("#exit")) {
      quickExit(event);
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" || event.key === "Esc") {
      quickExit(event);
    }
  });

  function swapMain(doc) {
    var main = document.getElementById("main");
    var fresh = doc.getElementById("main");
    if (!main || !fresh) {
      return;
    }
    main.replaceWith(document.importNode(fresh, true));
    var notice = document.getElementById("notice");
    if (notice) {
      notice.focus();
    }
    if (source && !document.getElementById("log")) {
      source.close();
      source = null;
    }
  }

  function merge(html, focus) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var log = document.getElementById("log");
    var freshLog = doc.getElementById("log");
    if (!log || !freshLog) {
      swapMain(doc);
      return;
    }
    var last = Number(log.getAttribute("data-last")) || 0;
    var freshLast = Number(freshLog.getAttribute("data-last")) || 0;
    if (freshLast < last) {
      swapMain(doc);
      return;
    }
    var newest = null;
    freshLog.querySelectorAll("li[data-n]").forEach(function (item) {
      if (Number(item.getAttribute("data-n")) > last) {
        var old = log.querySelector("#now");
        if (old) {
          old.removeAttribute("id");
          old.removeAttribute("tabindex");
        }
        newest = log.appendChild(document.importNode(item, true));
      }
    });
    log.setAttribute("data-last", String(freshLast));
    var controls = document.getElementById("controls");
    var freshControls = doc.getElementById("controls");
    var typed = document.getElementById("text");
    var value = typed ? typed.value : "";
    var typing = document.activeElement === typed;
    if (controls && freshControls) {
      controls.replaceWith(document.importNode(freshControls, true));
    }
    typed = document.getElementById("text");
    if (typed) {
      typed.value = value;
    }
    if (newest) {
      newest.scrollIntoView({ block: "nearest" });
    }
    if (focus === "choices") {
      var first = document.querySelector("#choices button, #choices a");
      (first || typed || newest).focus();
    } else if ((focus === "text" || typing) && typed) {
      typed.focus();
    }
  }

  function refresh(whole) {
    if (leaving) {
      return;
    }
    fetch("/", { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        if (leaving) {
          return;
        }
        if (whole) {   // lines were taken off the page (an erase): show it as the server has it now
          swapMain(new DOMParser().parseFromString(html, "text/html"));
        } else {
          merge(html, null);
        }
      })
      .catch(function () { /* the next event or the person's next message brings the page up to date */ });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[action='/say']")) {
      return;
    }
    event.preventDefault();
    var body = new URLSearchParams(new FormData(form, event.submitter));
    var typedForm = form.id === "write";
    if (typedForm) {
      document.getElementById("text").value = "";
    }
    form.querySelectorAll("button").forEach(function (button) { button.disabled = true; });
    fetch("/say", { method: "POST", body: body, credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        return response.text().then(function (html) { return { status: response.status, html: html }; });
      })
      .then(function (answer) {
        if (answer.status === 429) {
          form.querySelectorAll("button").forEach(function (button) { button.disabled = false; });
          return;
        }
        merge(answer.html, typedForm ? "text" : "choices");
      })
      .catch(function () { form.submit(); });
  });

  if (window.EventSource && document.getElementById("log")) {
    source = new EventSource("/events");
    source.addEventListener("update", function (event) {
      var log = document.getElementById("log");
      if (log && Number(event.data) > (Number(log.getAttribute("data-last")) || 0)) {
        refresh(false);
      }
    });
    source.addEventListener("redraw", function () {
      refresh(true);
    });
    source.addEventListener("closed", function () {
      refresh(false);
    });
  }
}());
