// What an analyst keeps from the search page: alert rules made from a search (with a preview of what
// they would have sent), their history, pause and delete; saved searches; and what is new since the
// previous visit. Everything goes through the page's JSON API (GET /api/me says who the user is and
// gives the CSRF token that every state-changing request carries). Without this file, or without a
// signed-in user, the search works the same and these controls stay hidden.
"use strict";

(() => {
  const stateNode = document.getElementById("page-state");
  if (!stateNode) return;
  const state = JSON.parse(stateNode.textContent);
  const root = state.root || "";
  const $ = (id) => document.getElementById(id);
  let me = null; // GET /api/me
  let lastVisit = null; // ms since the epoch, or null on a first visit
  let choices = null; // {channels, schedules}

  // -- the API -----------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, message, field) {
      super(message);
      this.status = status;
      this.field = field || null;
    }
  }

  async function whoAmI() {
    const answer = await fetch(`${root}/api/me`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!answer.ok) throw new ApiError(answer.status, `GET /api/me answered ${answer.status}`);
    me = await answer.json();
    return me;
  }

  async function api(method, path, body, retried = false) {
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRF-Token"] = me.csrf_token;
    const answer = await fetch(root + path, {
      method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (answer.status === 204) return null;
    let data = null;
    try {
      data = await answer.json();
    } catch (_) {
      data = null;
    }
    if (!answer.ok) {
      const message = (data && (data.error || data.detail)) || `the server answered ${answer.status}`;
      // The standalone server makes a new token when it restarts: ask again, once.
      if (answer.status === 403 && !retried && /X-CSRF-Token/.test(String(message))) {
        await whoAmI();
        return api(method, path, body, true);
      }
      throw new ApiError(answer.status, String(message), data && data.field);
    }
    return data;
  }

  // -- small DOM helpers -------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    }
    return node;
  }

  function when(iso) {
    if (!iso) return "";
    return String(iso).slice(0, 16).replace("T", " ") + " UTC";
  }

  function isNew(iso) {
    return lastVisit !== null && Boolean(iso) && Date.parse(iso) > lastVisit;
  }

  function newBadge() {
    return el("span", { class: "badge new" }, "New", el("span", { class: "visually-hidden" }, " since your last visit"));
  }

  function flash(message) {
    const box = $("flash");
    box.textContent = message;
    box.classList.add("shown");
  }

  function showError(box, error, fields) {
    box.textContent = error.message;
    box.hidden = false;
    for (const node of Object.values(fields || {})) if (node) node.removeAttribute("aria-invalid");
    const key = error.field ? String(error.field).split(".")[0] : null;
    const control = key && fields ? fields[key] : null;
    if (control) {
      control.setAttribute("aria-invalid", "true");
      control.focus();
    }
  }

  function clearError(box, fields) {
    box.hidden = true;
    box.textContent = "";
    for (const node of Object.values(fields || {})) if (node) node.removeAttribute("aria-invalid");
  }

  // -- dialogs: opened modal, focus kept inside, given back on close, Escape closes ----------------

  const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

  function focusables(dialog) {
    return Array.from(dialog.querySelectorAll(FOCUSABLE)).filter((n) => n.getClientRects().length > 0 &&
      !(n.type === "radio" && !n.checked && dialog.querySelector(`input[type=radio][name="${n.name}"]:checked`)));
  }

  function openDialog(dialog, opener, first) {
    dialog.returnTo = opener || document.activeElement;
    dialog.showModal();
    const target = first || dialog.querySelector("[autofocus]") || focusables(dialog)[0];
    if (target) target.focus();
  }

  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.addEventListener("close", () => {
      const back = dialog.returnTo;
      dialog.returnTo = null;
      if (back && document.contains(back)) back.focus();
    });
    dialog.addEventListener("keydown", (event) => {
      if (event.key !== "Tab") return;
      const all = focusables(dialog);
      if (!all.length) return;
      const first = all[0];
      const last = all[all.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    });
    for (const button of dialog.querySelectorAll("[data-close]")) {
      button.addEventListener("click", () => dialog.close());
    }
  }

  let confirmed = null;
  function confirmDelete(title, text, opener, action) {
    $("confirm-title").textContent = title;
    $("confirm-text").textContent = text;
    clearError($("confirm-error"));
    confirmed = action;
    openDialog($("confirm-dialog"), opener);
  }
  $("confirm-yes").addEventListener("click", async () => {
    try {
      await confirmed();
      $("confirm-dialog").close();
    } catch (error) {
      showError($("confirm-error"), error);
    }
  });

  // -- what a rule's filters say, in words -------------------------------------------------------

  const topicName = (id) => (state.topic_names && state.topic_names[id]) || id;
  const FILTER_WORDS = [
    ["all_topics", "Topics, every one of", topicName],
    ["topics", "Topics, any of", topicName],
    ["all_entities", "Entities, every one of", String],
    ["entities", "Entities, any of", String],
    ["outlets", "Outlets, any of", String],
    ["languages", "Languages, any of", String],
    ["sources", "Feeds, any of", String],
  ];

  function filterLines(filters) {
    const lines = [];
    for (const [key, words, name] of FILTER_WORDS) {
      const values = (filters && filters[key]) || [];
      if (values.length) lines.push(`${words}: ${values.map(name).join(", ")}`);
    }
    const scores = (filters && filters.min_topic_score) || {};
    for (const [topic, score] of Object.entries(scores)) lines.push(`${topicName(topic)}: score at least ${score}`);
    return lines;
  }

  function ruleFiltersForApi(filters) {
    const out = {};
    for (const [key] of FILTER_WORDS) if (filters && filters[key] && filters[key].length) out[key] = filters[key];
    return out;
  }

  // -- the alert dialog: make or edit a rule, with its preview ------------------------------------

  const ruleDialog = $("alert-dialog");
  const ruleForm = $("alert-form");
  const ruleFields = {
    name: $("rule-name"), query: $("rule-query"), schedule: $("rule-schedule"), mode: $("mode-instant"),
    channels: null, filters: null,
  };
  let editing = null; // the rule being changed; null when making one
  let ruleFilters = {};

  async function loadChoices() {
    if (!choices) {
      const [channels, schedules] = await Promise.all([api("GET", "/api/channels"), api("GET", "/api/schedules")]);
      choices = { channels, schedules };
      const select = $("rule-schedule");
      select.replaceChildren(...schedules.map((s) => el("option", { value: s.id }, s.label)));
    }
    return choices;
  }

  const CHANNEL_TYPES = { log: "the monitoring log", email: "e-mail", slack: "Slack", webhook: "webhook" };

  function renderChannels(chosen) {
    const list = $("rule-channel-list");
    list.replaceChildren(...choices.channels.map((c) => el("span", { class: "choice" },
      el("input", { type: "checkbox", id: `channel-${c.id}`, name: "channels", value: c.id, checked: chosen.includes(c.id) }),
      el("label", { for: `channel-${c.id}` }, `${c.id} (${CHANNEL_TYPES[c.type] || c.type})`))));
    ruleFields.channels = list.querySelector("input");
  }

  // A person's channel first (mail, then chat, then a webhook); the monitoring log when it is the only one.
  function defaultChannels() {
    for (const type of ["email", "slack", "webhook"]) {
      const found = choices.channels.find((c) => c.type === type);
      if (found) return [found.id];
    }
    return [(choices.channels[0] || { id: "log" }).id];
  }

  function setMode(mode, schedule) {
    $("mode-instant").checked = mode !== "digest";
    $("mode-digest").checked = mode === "digest";
    const select = $("rule-schedule");
    select.disabled = mode !== "digest";
    if (schedule && Array.from(select.options).some((o) => o.value === schedule)) select.value = schedule;
    else if (schedule) select.append(el("option", { value: schedule, selected: true }, `${schedule} (cron, UTC)`));
  }

  function defaultName() {
    const topics = (state.rule.filters.all_topics || []).map(topicName);
    const words = state.query || (topics.length ? topics.join(" and ") : "Every new story");
    return words.length > 80 ? `${words.slice(0, 79)}…` : words;
  }

  async function openRuleDialog(rule, opener) {
    try {
      await loadChoices();
    } catch (error) {
      flash(`Alerts are not available: ${error.message}`);
      return;
    }
    editing = rule || null;
    ruleFilters = rule ? rule.filters : state.rule.filters;
    $("alert-dialog-title").textContent = rule ? `Edit alert “${rule.name}”` : "Alert me on this search";
    $("rule-save").textContent = rule ? "Save changes" : "Save alert";
    ruleFields.name.value = rule ? rule.name : defaultName();
    ruleFields.query.value = rule ? rule.query : state.rule.query;
    const lines = filterLines(ruleFilters);
    $("rule-filters").replaceChildren(...(lines.length ? lines : ["None: every story that matches the query."])
      .map((line) => el("li", {}, line)));
    const notTaken = rule ? [] : state.not_taken || [];
    $("rule-not-taken").hidden = !notTaken.length;
    $("rule-not-taken").textContent = notTaken.length ? `A rule does not take ${notTaken.join("; ")}.` : "";
    setMode(rule ? rule.mode : "instant", rule ? rule.schedule : null);
    renderChannels(rule ? rule.channels : defaultChannels());
    clearError($("rule-error"), ruleFields);
    openDialog(ruleDialog, opener, ruleFields.name);
    runPreview();
  }

  let previewRun = 0;
  async function runPreview() {
    const run = ++previewRun;
    const box = $("rule-preview");
    const since = ruleForm.querySelector('input[name="preview-since"]:checked').value;
    box.setAttribute("aria-busy", "true");
    box.replaceChildren(el("p", { class: "hint" }, "Looking back…"));
    try {
      const found = await api("POST", "/api/rules/preview", {
        query: ruleFields.query.value.trim() || "*", filters: ruleFiltersForApi(ruleFilters), since,
      });
      if (run === previewRun) box.replaceChildren(...previewNodes(found, since));
    } catch (error) {
      if (run === previewRun) box.replaceChildren(el("p", { class: "error-text" }, `No preview: ${error.message}`));
    } finally {
      if (run === previewRun) box.removeAttribute("aria-busy");
    }
  }

  function previewNodes(found, since) {
    const days = since === "7d" ? "7 days" : "30 days";
    const total = found.total;
    if (!total) {
      return [el("p", { class: "preview-total", id: "preview-total", "data-total": "0" },
        `Nothing in the last ${days}: it would have sent no alert. It still watches every new story.`)];
    }
    const most = Math.max(1, ...found.per_day.map((d) => d.count));
    const bars = el("ol", { class: "days", "aria-label": "Stories per day" }, found.per_day.map((d) => {
      const bar = el("span", { class: "bar", "aria-hidden": "true" });
      bar.style.height = `${Math.max(d.count ? 8 : 0, Math.round((100 * d.count) / most))}%`;
      return el("li", { title: `${d.day}: ${d.count}` }, bar,
        el("span", { class: "visually-hidden" }, `${d.day}: ${d.count} ${d.count === 1 ? "story" : "stories"}`));
    }));
    const first = found.per_day.length ? found.per_day[0].day : "";
    const last = found.per_day.length ? found.per_day[found.per_day.length - 1].day : "";
    const stories = el("ol", { class: "preview-stories", id: "preview-stories" }, found.stories.map((s) => el("li", { "data-story-id": s.id },
      /^https?:/.test(s.url || "") ? el("a", { href: s.url, target: "_blank", rel: "noopener noreferrer" }, s.title || "(untitled)") : (s.title || "(untitled)"),
      el("span", { class: "meta" }, ` ${s.outlet || ""} · ${String(s.published || "").slice(0, 10)}`,
        s.cluster_size > 1 ? ` · carried by ${s.cluster_size} outlets` : ""))));
    return [
      el("p", { class: "preview-total", id: "preview-total", "data-total": String(total) },
        el("strong", {}, `${total} ${total === 1 ? "story" : "stories"}`), ` in the last ${days} (one alert per story).`),
      bars,
      el("p", { class: "days-range", "aria-hidden": "true" }, el("span", {}, first), el("span", {}, `most in a day: ${most}`), el("span", {}, last)),
      el("h3", {}, found.stories.length < total ? `The newest ${found.stories.length}` : "The stories"),
      stories,
    ];
  }

  let previewTimer = null;
  ruleFields.query.addEventListener("input", () => {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(runPreview, 400);
  });
  for (const radio of ruleForm.querySelectorAll('input[name="preview-since"]')) radio.addEventListener("change", runPreview);
  for (const radio of ruleForm.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener("change", () => setMode(radio.value, null));
  }

  ruleForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError($("rule-error"), ruleFields);
    const channels = Array.from(ruleForm.querySelectorAll('input[name="channels"]:checked')).map((c) => c.value);
    const mode = $("mode-digest").checked ? "digest" : "instant";
    const body = {
      name: ruleFields.name.value.trim(), query: ruleFields.query.value.trim() || "*", mode,
      schedule: mode === "digest" ? $("rule-schedule").value : null, channels,
    };
    if (!body.name) return showError($("rule-error"), new ApiError(0, "Give the alert a name.", "name"), ruleFields);
    if (!channels.length) return showError($("rule-error"), new ApiError(0, "Choose at least one channel to send to.", "channels"), ruleFields);
    try {
      const saved = editing
        ? await api("PUT", `/api/rules/${encodeURIComponent(editing.id)}`, body)
        : await api("POST", "/api/rules", { ...body, filters: ruleFiltersForApi(ruleFilters) });
      ruleDialog.close();
      flash(editing ? `Alert “${saved.name}” changed.` : `Alert “${saved.name}” saved: ${saved.schedule_label.toLowerCase()}, to ${saved.channels.join(", ")}.`);
      await refreshRules(saved.id);
    } catch (error) {
      showError($("rule-error"), error, ruleFields);
      if (error.status === 409) await refreshRules(); // changed by someone else meanwhile
    }
  });

  // -- my alerts ---------------------------------------------------------------------------------

  let rules = [];

  async function refreshRules(focusRule, focusAction) {
    const list = $("rule-list");
    try {
      rules = (await api("GET", "/api/rules")).rules;
    } catch (error) {
      list.replaceChildren(el("li", { class: "error-text" }, `The alert rules could not be read: ${error.message}`));
      return;
    }
    list.replaceChildren(...(rules.length ? rules.map(ruleItem) : [el("li", { class: "none" }, "No alert rules yet.")]));
    if (focusRule && focusAction) {
      const again = list.querySelector(`li[data-rule-id="${CSS.escape(focusRule)}"] [data-action="${focusAction}"]`);
      if (again) again.focus();
    }
  }

  function ruleItem(rule) {
    const fromPage = rule.source === "page";
    const head = el("h3", { id: `rule-${rule.id}-name` }, rule.name);
    const badges = el("p", { class: "badges" },
      fromPage ? null : el("span", { class: "badge config" }, "from configuration"),
      el("span", { class: `badge ${rule.enabled ? "active" : "paused"}` }, rule.enabled ? "Active" : "Paused"));
    const what = el("dl", { class: "rule-facts" },
      el("dt", {}, "Query"), el("dd", {}, el("code", {}, rule.query)),
      el("dt", {}, "Filters"), el("dd", {}, filterLines(rule.filters).join("; ") || "none"),
      el("dt", {}, "When"), el("dd", {}, rule.mode === "digest" ? `Digest: ${rule.schedule_label}` : rule.schedule_label),
      el("dt", {}, "To"), el("dd", {}, (rule.channels || []).join(", ")));
    const who = fromPage
      ? el("p", { class: "meta" }, `Made by ${rule.created_by || rule.owner} on ${when(rule.created_at)}`,
        rule.updated_at && rule.updated_at !== rule.created_at ? `; changed by ${rule.updated_by} on ${when(rule.updated_at)}` : "")
      : el("p", { class: "meta" }, "Read-only here: an operator changes it in alerts.yaml.");
    const problem = rule.last_error ? el("p", { class: "error-text" }, `Its last change in alerts.yaml is broken; the version before it still runs: ${rule.last_error}`) : null;
    let buttons = null;
    if (rule.editable) {
      buttons = el("p", { class: "buttons" },
        el("button", { type: "button", class: "secondary", "data-action": "edit", "aria-haspopup": "dialog",
          "aria-label": `Edit “${rule.name}”`, onclick: (e) => openRuleDialog(rule, e.currentTarget) }, "Edit"),
        el("button", { type: "button", class: "secondary", "data-action": "toggle", "aria-label": `${rule.enabled ? "Pause" : "Resume"} “${rule.name}”`,
          onclick: () => toggleRule(rule) }, rule.enabled ? "Pause" : "Resume"),
        el("button", { type: "button", class: "danger", "data-action": "delete", "aria-haspopup": "dialog", "aria-label": `Delete “${rule.name}”`,
          onclick: (e) => confirmDelete(`Delete the alert “${rule.name}”?`,
            "It stops sending at once; what it sent stays in the history of alerts.", e.currentTarget, async () => {
              await api("DELETE", `/api/rules/${encodeURIComponent(rule.id)}`);
              flash(`Alert “${rule.name}” deleted.`);
              await refreshRules();
              $("my-alerts").focus();
            }) }, "Delete"));
    } else if (fromPage) {
      buttons = el("p", { class: "meta" }, "You may not change alert rules: an operator grants it.");
    }
    const history = el("details", { class: "history", "data-rule-history": rule.id },
      el("summary", {}, "What it sent", el("span", { class: "visually-hidden" }, ` (${rule.name})`)),
      el("div", { class: "history-body" }, el("p", { class: "hint" }, "Loading…")));
    history.addEventListener("toggle", () => { if (history.open) loadHistory(rule, history); });
    return el("li", { class: "rule", "data-rule-id": rule.id, "data-source": rule.source, "data-enabled": String(rule.enabled),
      "aria-labelledby": head.id }, head, badges, what, who, problem, buttons, history);
  }

  async function toggleRule(rule) {
    try {
      const changed = await api("PUT", `/api/rules/${encodeURIComponent(rule.id)}`, { enabled: !rule.enabled });
      flash(changed.enabled ? `Alert “${rule.name}” resumed.` : `Alert “${rule.name}” paused: it sends nothing until you resume it.`);
      await refreshRules(rule.id, "toggle");
    } catch (error) {
      flash(`“${rule.name}” was not changed: ${error.message}`);
      if (error.status === 409) await refreshRules(rule.id, "toggle");
    }
  }

  async function loadHistory(rule, details) {
    const body = details.querySelector(".history-body");
    try {
      const { events } = await api("GET", `/api/rules/${encodeURIComponent(rule.id)}/history`);
      if (!events.length) {
        body.replaceChildren(el("p", { class: "none" }, "Nothing sent yet."));
        return;
      }
      body.replaceChildren(el("table", { class: "sent" },
        el("caption", { class: "visually-hidden" }, `What “${rule.name}” sent, newest first`),
        el("thead", {}, el("tr", {}, ["When", "Story", "Channel", "Status"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, events.map((e) => el("tr", { "data-story-id": e.story_id, "data-channel": e.channel },
          el("td", {}, el("time", { datetime: e.at }, when(e.at)), isNew(e.at) ? [" ", newBadge()] : null),
          el("td", {}, /^https?:/.test(e.url || "") ? el("a", { href: e.url, target: "_blank", rel: "noopener noreferrer" }, e.title || e.story_id) : (e.title || e.story_id),
            e.aggregated ? " (in an “and more” message)" : ""),
          el("td", {}, e.channel),
          el("td", {}, el("span", { class: `badge ${e.status}` }, e.status)))))));
    } catch (error) {
      body.replaceChildren(el("p", { class: "error-text" }, `The history could not be read: ${error.message}`));
    }
  }

  // -- saved searches ----------------------------------------------------------------------------

  function searchHref(search) {
    const f = search.filters || {};
    const params = new URLSearchParams();
    if (search.query) params.append("q", search.query);
    for (const [key, name] of [["topics", "topic"], ["entities", "entity"], ["outlets", "outlet"], ["languages", "language"], ["content_types", "content_type"]]) {
      for (const value of f[key] || []) params.append(name, value);
    }
    for (const key of ["since", "date_from", "date_to"]) if (f[key]) params.append(key, f[key]);
    if (f.include_duplicates) params.append("include_duplicates", "1");
    const query = params.toString();
    return `${root}/${query ? `?${query}` : ""}`;
  }

  function searchWords(query, filters) {
    const parts = [query ? `“${query}”` : "every story"];
    const lines = filterLines({ all_topics: filters.topics, all_entities: filters.entities, outlets: filters.outlets, languages: filters.languages });
    if (filters.since) lines.push(`within ${filters.since}`);
    if (filters.date_from || filters.date_to) lines.push(`published ${filters.date_from || "…"} to ${filters.date_to || "…"}`);
    const kinds = { html: "HTML articles", pdf: "PDF documents" };
    if ((filters.content_types || []).length) lines.push(`only ${filters.content_types.map((t) => kinds[t] || t).join(" or ")}`);
    return parts.concat(lines).join("; ");
  }

  async function refreshSaved() {
    const list = $("saved-list");
    try {
      const { searches } = await api("GET", "/api/saved-searches");
      list.replaceChildren(...(searches.length ? searches.map((s) => el("li", { "data-search-id": s.id },
        el("a", { href: searchHref(s), title: searchWords(s.query, s.filters || {}) }, s.name),
        el("button", { type: "button", class: "link", "aria-haspopup": "dialog", "aria-label": `Delete saved search “${s.name}”`,
          onclick: (e) => confirmDelete(`Delete the saved search “${s.name}”?`, searchWords(s.query, s.filters || {}), e.currentTarget, async () => {
            await api("DELETE", `/api/saved-searches/${encodeURIComponent(s.id)}`);
            flash(`Saved search “${s.name}” deleted.`);
            await refreshSaved();
            $("saved-searches").focus();
          }) }, "Delete"))) : [el("li", { class: "none" }, "None yet: “Save this search” keeps one.")]));
    } catch (error) {
      list.replaceChildren(el("li", { class: "error-text" }, `Not available: ${error.message}`));
    }
  }

  const saveForm = $("save-form");
  function openSaveDialog(opener) {
    $("save-name").value = defaultName();
    $("save-what").textContent = `Keeps ${searchWords(state.search.query, state.search.filters)}.`;
    clearError($("save-error"), { name: $("save-name") });
    openDialog($("save-dialog"), opener, $("save-name"));
  }
  saveForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = { name: $("save-name") };
    clearError($("save-error"), fields);
    const name = $("save-name").value.trim();
    if (!name) return showError($("save-error"), new ApiError(0, "Give the search a name.", "name"), fields);
    try {
      await api("POST", "/api/saved-searches", { name, query: state.search.query, filters: state.search.filters });
      $("save-dialog").close();
      flash(`Search “${name}” saved.`);
      await refreshSaved();
    } catch (error) {
      showError($("save-error"), error, fields);
    }
  });

  // -- new since the previous visit --------------------------------------------------------------

  async function markNew() {
    const { previous_visit: previous } = await api("POST", "/api/visits");
    lastVisit = previous ? Date.parse(previous) : null;
    const note = $("new-since"); // shown with results only
    if (lastVisit === null || !note) return;
    let results = 0;
    for (const hit of document.querySelectorAll("li.hit[data-stored]")) {
      if (!isNew(hit.dataset.stored)) continue;
      hit.classList.add("is-new");
      const meta = hit.querySelector(".meta");
      if (meta) meta.prepend(newBadge(), " ");
      results += 1;
    }
    let alerts = 0;
    for (const row of document.querySelectorAll("table.alerts tr[data-created]")) {
      if (!isNew(row.dataset.created)) continue;
      row.classList.add("is-new");
      row.cells[0].append(" ", newBadge());
      alerts += 1;
    }
    const counted = (n, one, many) => `${n} ${n === 1 ? one : many}`;
    note.textContent = `Since your last visit (${when(previous)}): ${counted(results, "new result", "new results")} on this page, ` +
      `${counted(alerts, "new alert", "new alerts")} among the recent ones; they are marked “New”.`;
    note.hidden = false;
  }

  // -- start -------------------------------------------------------------------------------------

  async function start() {
    try {
      await whoAmI();
    } catch (_) {
      return; // no user (or no API): the search works without these
    }
    for (const id of ["my-alerts", "saved-searches", "mine-nav"]) $(id).hidden = false;
    const alertMe = $("alert-me");
    const save = $("save-search");
    if (save) {
      save.hidden = false;
      save.addEventListener("click", (e) => openSaveDialog(e.currentTarget));
    }
    if (alertMe) {
      alertMe.hidden = false;
      if (me.can_edit) {
        alertMe.addEventListener("click", (e) => openRuleDialog(null, e.currentTarget));
      } else {
        const why = $("alert-why");
        why.textContent = `${me.user} may search, save searches and export, but not create alert rules: an operator grants that (the “newsmon alerts” permission).`;
        alertMe.setAttribute("aria-disabled", "true");
        alertMe.setAttribute("aria-describedby", "alert-why");
        alertMe.removeAttribute("aria-haspopup");
        alertMe.addEventListener("click", () => {
          why.hidden = false;
          why.classList.add("shown");
        });
      }
    }
    $("my-alerts-note").textContent = me.can_edit
      ? "Rules made on this page can be changed here; rules from configuration are shown read-only."
      : "You may see the alert rules and what they sent; changing them needs an operator's permission.";
    await Promise.allSettled([markNew().catch((error) => flash(`Could not record this visit: ${error.message}`)), refreshSaved()]);
    await refreshRules();
    document.body.dataset.analyst = "ready";
  }

  start();
})();
