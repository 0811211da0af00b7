// Small conveniences only: the page works without this file.
// "/" puts the cursor in the query box, as in Kibana and most search pages.
document.addEventListener("keydown", (event) => {
  const target = event.target;
  const typing = target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
    const box = document.getElementById("q");
    if (box) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  }
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
