// Keyboard shortcuts and small conveniences: the page works without this file.
//   /      the query box (as in Kibana and most search pages)
//   j, k   the next, previous result (it takes the focus, so a screen reader reads its title)
//   o      open the selected result's story, in a new tab as its link does
// None acts while the user types in a field, holds a modifier key, or has a dialog open.
"use strict";

function isTyping(target) {
  return target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

function results() {
  return Array.from(document.querySelectorAll("li.hit > article"));
}

function selectedResult() {
  const active = document.activeElement;
  const hit = active instanceof Element ? active.closest("li.hit") : null;
  const chosen = hit || document.querySelector("li.hit.current");
  return chosen ? chosen.querySelector(":scope > article") : null;
}

function selectResult(article) {
  for (const li of document.querySelectorAll("li.hit.current")) {
    li.classList.remove("current");
    li.removeAttribute("aria-current");
  }
  const li = article.parentElement;
  li.classList.add("current");
  li.setAttribute("aria-current", "true");
  article.focus();
  article.scrollIntoView({ block: "nearest" });
}

function moveThroughResults(step) {
  const all = results();
  if (!all.length) return false;
  const at = all.indexOf(selectedResult());
  const next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
  selectResult(all[next]);
  return true;
}

function openSelectedResult() {
  const article = selectedResult();
  const link = article ? article.querySelector("h3 a[href]") : null;
  if (!link) return false;
  link.click();
  return true;
}

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (isTyping(event.target) || document.querySelector("dialog[open]")) return;
  let done = false;
  if (event.key === "/") {
    const box = document.getElementById("q");
    if (box) {
      box.focus();
      box.select();
      done = true;
    }
  } else if (event.key === "j") {
    done = moveThroughResults(1);
  } else if (event.key === "k") {
    done = moveThroughResults(-1);
  } else if (event.key === "o") {
    done = openSelectedResult();
  }
  if (done) event.preventDefault();
});

// Picking a period in "within the last" clears the explicit dates, which would otherwise both apply.
document.addEventListener("change", (event) => {
  if (event.target instanceof HTMLSelectElement && event.target.id === "since" && event.target.value) {
    for (const id of ["date_from", "date_to"]) {
      const input = document.getElementById(id);
      if (input) input.value = "";
    }
  }
});
