/* spacy-rulelang report.html: the category filter and the reviewer's decisions.
 *
 * report.py inlines this file into the page (one standalone file: no server, no
 * external scripts). Each example carries its data in a
 * <script type="application/json" class="rl-data"> block; each disagreement is an
 * <li class="rl-item" data-index="i"> of that example. Decisions are kept in
 * localStorage under <body data-storage-key>, a hash of the examples' data, so two
 * reports never share decisions, and download as decisions.jsonl, one line per
 * decided disagreement, in the format of docs/decisions.md (read by `apply`).
 * A group (<details class="rl-group">, its data in a script.rl-group-data block) is
 * decided at once; its line carries the group's definition and examples and comes
 * before the per-disagreement lines.
 * Everything taken from the data (labels, rule names, texts, notes) is written with
 * textContent or an input's value, never parsed as HTML (no markup-parsing DOM call here),
 * and what localStorage gives back is checked before it is used.
 */

function rlFilter(cat){
  document.querySelectorAll('.filters button').forEach(function(b){
    b.classList.toggle('active', b.dataset.category===cat);});
  var shown=0;
  document.querySelectorAll('.example').forEach(function(ex){
    var show = cat==='all' || ex.dataset.categories.split(' ').indexOf(cat)>=0;
    ex.style.display = show ? '' : 'none'; if(show){shown++;}});
  document.getElementById('shown').textContent = shown;
}

(function () {
  'use strict';

  // The decision values of docs/decisions.md, with their keys and button labels.
  var DECISIONS = [
    {value: 'rules', key: '1', alt: 'r', label: 'rules right'},
    {value: 'model', key: '2', alt: 'm', label: 'model right'},
    {value: 'both_wrong', key: '3', alt: 'b', label: 'both wrong'},
    {value: 'gold_wrong', key: '4', alt: 'g', label: 'gold wrong'},
    {value: 'skip', key: '5', alt: 's', label: 'skip'}
  ];
  // A group decision (docs/formats.md): the policy `apply` writes into the domain profile.
  var GROUP_DECISIONS = [
    {value: 'language', label: 'a language here'},
    {value: 'never', label: 'never a language here'},
    {value: 'needs_evidence', label: 'needs evidence here'},
    {value: 'one_by_one', label: 'decide one by one'}
  ];
  var BY_KEY = {};
  DECISIONS.forEach(function (d) { BY_KEY[d.key] = d; BY_KEY[d.alt] = d; });

  var storageKey = '';
  var storage = null;          // window.localStorage, or null where the browser refuses it
  var state = {version: 1, items: {}, groups: {}};  // item id / group id -> {decision, note, time}
  var items = [];              // page order: {id, el, example, d, note, badge, buttons}
  var groups = [];             // page order: {gid, el, data, badge, buttons}
  var current = -1;

  function labelOf(value) {
    for (var i = 0; i < DECISIONS.length; i++) {
      if (DECISIONS[i].value === value) { return DECISIONS[i].label; }
    }
    return 'undecided';
  }

  function warnStorage(message) {
    var el = document.getElementById('rl-storage');
    if (el) { el.textContent = message; }
  }

  // Keep only well-formed entries: a known decision (or none), string note and time.
  function groupLabelOf(value) {
    for (var i = 0; i < GROUP_DECISIONS.length; i++) {
      if (GROUP_DECISIONS[i].value === value) { return GROUP_DECISIONS[i].label; }
    }
    return '';
  }

  function cleaned(saved) {
    var clean = {version: 1, items: {}, groups: {}};
    var savedGroups = saved.groups && typeof saved.groups === 'object' ? saved.groups : {};
    Object.keys(savedGroups).forEach(function (gid) {
      var entry = savedGroups[gid];
      if (entry && typeof entry === 'object' && groupLabelOf(entry.decision) &&
          typeof entry.time === 'string') {
        clean.groups[gid] = {decision: entry.decision, time: entry.time, note: ''};
      }
    });
    Object.keys(saved.items).forEach(function (id) {
      var entry = saved.items[id];
      if (!entry || typeof entry !== 'object') { return; }
      var out = {note: typeof entry.note === 'string' ? entry.note : ''};
      if (labelOf(entry.decision) !== 'undecided' && typeof entry.time === 'string') {
        out.decision = entry.decision; out.time = entry.time;
      }
      if (out.decision || out.note) { clean.items[id] = out; }
    });
    return clean;
  }

  function load() {
    try {
      storage = window.localStorage;
      var raw = storage.getItem(storageKey);
      var saved = raw ? JSON.parse(raw) : null;
      if (saved && saved.version === 1 && saved.items && typeof saved.items === 'object') {
        state = cleaned(saved);
      }
    } catch (err) {
      storage = null;
      warnStorage('Decisions are not saved in this browser (localStorage is unavailable): ' +
                  'download them before closing the page.');
    }
  }

  function save() {
    if (!storage) { return; }
    try {
      storage.setItem(storageKey, JSON.stringify(state));
    } catch (err) {
      warnStorage('Saving the decisions failed (' + err.name + '): download them now.');
    }
  }

  function isShown(item) {
    return item.example.style.display !== 'none';
  }

  function setCurrent(index, scroll) {
    if (current >= 0 && items[current]) { items[current].el.classList.remove('rl-current'); }
    current = index;
    var item = items[current];
    if (!item) { return; }
    item.el.classList.add('rl-current');
    if (scroll) {
      item.el.focus({preventScroll: true});
      item.el.scrollIntoView({block: 'nearest'});
    }
  }

  function move(step) {
    var i = current < 0 ? (step > 0 ? -1 : items.length) : current;
    for (i += step; i >= 0 && i < items.length; i += step) {
      if (isShown(items[i])) { setCurrent(i, true); return; }
    }
  }

  function render(item) {
    var entry = state.items[item.id];
    var decision = entry && entry.decision ? entry.decision : '';
    item.el.classList.toggle('rl-decided', decision !== '');
    item.el.dataset.decision = decision;
    item.badge.textContent = labelOf(decision);
    item.buttons.forEach(function (b) {
      var on = b.dataset.decision === decision;
      b.classList.toggle('active', on);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    });
    item.note.value = entry && entry.note ? entry.note : '';
  }

  function countDecided() {
    var n = 0;
    items.forEach(function (item) {
      var entry = state.items[item.id];
      if (entry && entry.decision) { n++; }
    });
    groups.forEach(function (g) { if (state.groups[g.gid]) { n++; } });
    document.getElementById('rl-decided').textContent = n;
    document.getElementById('rl-download').disabled = n === 0;
    return n;
  }

  function decide(item, value) {
    if (value === 'gold_wrong' && item.d.spans.gold === null) { return; }  // no gold to be wrong
    var entry = state.items[item.id] || {note: ''};
    entry.decision = value;
    entry.time = new Date().toISOString();
    state.items[item.id] = entry;
    save(); render(item); countDecided();
  }

  function undecide(item) {
    var entry = state.items[item.id];
    if (!entry) { return; }
    delete entry.decision; delete entry.time;
    if (!entry.note) { delete state.items[item.id]; }
    save(); render(item); countDecided();
  }

  function setNote(item, text) {
    var entry = state.items[item.id] || {};
    entry.note = text;
    if (!entry.decision && !text) { delete state.items[item.id]; } else { state.items[item.id] = entry; }
    save();
  }

  // One line of decisions.jsonl; the keys in the order docs/decisions.md gives.
  function line(item, entry) {
    var d = item.d;
    return JSON.stringify({
      input_hash: item.data.input_hash, doc: item.data.doc,
      token_start: d.token_start, token_end: d.token_end, label: d.label, text: d.text,
      category: d.category, rule: d.rule, decision: entry.decision, note: entry.note || '',
      time: entry.time,
      spans: {rules: d.spans.rules, model: d.spans.model, gold: d.spans.gold}
    });
  }

  function renderGroup(g) {
    var entry = state.groups[g.gid];
    var decision = entry ? entry.decision : '';
    g.el.classList.toggle('rl-decided', decision !== '');
    g.el.dataset.decision = decision;
    g.badge.textContent = decision ? '\u2014 ' + groupLabelOf(decision) : '';
    g.buttons.forEach(function (b) {
      var on = b.dataset.decision === decision;
      b.classList.toggle('active', on);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    });
  }

  function decideGroup(g, value) {
    if (state.groups[g.gid] && state.groups[g.gid].decision === value) {
      delete state.groups[g.gid];  // a second click undoes it
    } else {
      state.groups[g.gid] = {decision: value, note: '', time: new Date().toISOString()};
    }
    save(); renderGroup(g); countDecided();
  }

  function groupControls(g) {
    var box = document.createElement('div');
    box.className = 'rl-controls';
    g.buttons = GROUP_DECISIONS.map(function (dec) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'rl-group-decide';
      b.dataset.decision = dec.value;
      b.textContent = dec.label;
      b.addEventListener('click', function () { decideGroup(g, dec.value); });
      box.appendChild(b);
      return b;
    });
    g.el.insertBefore(box, g.el.querySelector('ol'));
  }

  // One group line of decisions.jsonl: the group's definition, counts and examples.
  function groupLine(g, entry) {
    return JSON.stringify({
      group: g.data.group, decision: entry.decision, count: g.data.count, share: g.data.share,
      note: entry.note || '', time: entry.time, instances: g.data.instances
    });
  }

  function download() {
    var ordered = items.slice().sort(function (a, b) {
      return a.data.doc - b.data.doc || a.index - b.index;
    });
    var lines = [];
    groups.forEach(function (g) {
      var entry = state.groups[g.gid];
      if (entry) { lines.push(groupLine(g, entry)); }
    });
    ordered.forEach(function (item) {
      var entry = state.items[item.id];
      if (entry && entry.decision) { lines.push(line(item, entry)); }
    });
    var blob = new Blob([lines.map(function (l) { return l + '\n'; }).join('')],
                        {type: 'application/x-ndjson'});
    var link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = 'decisions.jsonl';
    link.style.display = 'none';
    document.body.appendChild(link);
    link.click();
    setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }

  function clearAll() {
    var n = countDecided();
    if (!window.confirm('Forget the ' + n + ' decisions and all notes of this report?')) { return; }
    state = {version: 1, items: {}, groups: {}};
    if (storage) { try { storage.removeItem(storageKey); } catch (err) { /* nothing saved */ } }
    items.forEach(render);
    groups.forEach(renderGroup);
    countDecided();
  }

  function controls(item) {
    var box = document.createElement('div');
    box.className = 'rl-controls';
    item.badge = document.createElement('span');
    item.badge.className = 'rl-state';
    box.appendChild(item.badge);
    item.buttons = DECISIONS.map(function (dec) {
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'rl-decide';
      b.dataset.decision = dec.value;
      b.textContent = dec.key + ' ' + dec.label;
      b.title = 'key ' + dec.key + ' or ' + dec.alt;
      if (dec.value === 'gold_wrong' && item.d.spans.gold === null) {
        b.disabled = true;
        b.title = 'this report has no gold';
      }
      b.addEventListener('click', function () { setCurrent(item.index, false); decide(item, dec.value); });
      box.appendChild(b);
      return b;
    });
    item.note = document.createElement('input');
    item.note.type = 'text';
    item.note.className = 'rl-note';
    item.note.placeholder = 'note (n)';
    item.note.setAttribute('aria-label', 'note');
    item.note.addEventListener('focus', function () { setCurrent(item.index, false); });
    item.note.addEventListener('input', function () { setNote(item, item.note.value); });
    item.note.addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter' || ev.key === 'Escape') { ev.preventDefault(); item.el.focus(); }
    });
    box.appendChild(item.note);
    item.el.appendChild(box);
  }

  function onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var target = ev.target;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' ||
                   target.isContentEditable)) { return; }
    var key = ev.key;
    var item = items[current];
    if (key === 'j' || key === 'ArrowDown') { move(1); }
    else if (key === 'k' || key === 'ArrowUp') { move(-1); }
    else if (!item && (key === 'n' || key === 'u' || BY_KEY[key])) { move(1); }
    else if (key === 'n') { item.note.focus(); }
    else if (key === 'u') { undecide(item); }
    else if (BY_KEY[key]) { decide(item, BY_KEY[key].value); }
    else { return; }
    ev.preventDefault();
  }

  function init() {
    storageKey = document.body.dataset.storageKey || 'spacy-rulelang-decisions';
    load();
    document.querySelectorAll('section.example').forEach(function (example) {
      var blob = example.querySelector('script.rl-data');
      if (!blob) { return; }
      var data = JSON.parse(blob.textContent);
      example.querySelectorAll('li.rl-item').forEach(function (el) {
        var i = Number(el.dataset.index);
        var item = {id: data.doc + ':' + i, index: items.length, el: el, example: example,
                    data: data, d: data.disagreements[i]};
        controls(item);
        el.addEventListener('click', function () { setCurrent(item.index, false); });
        items.push(item);
        render(item);
      });
    });
    document.querySelectorAll('details.rl-group').forEach(function (el) {
      var blob = el.querySelector('script.rl-group-data');
      if (!blob) { return; }
      var g = {gid: el.dataset.gid, el: el, data: JSON.parse(blob.textContent),
               badge: el.querySelector('.rl-gstate')};
      groupControls(g);
      groups.push(g);
      renderGroup(g);
    });
    document.getElementById('rl-total').textContent = items.length;
    document.getElementById('rl-download').addEventListener('click', download);
    document.getElementById('rl-clear').addEventListener('click', clearAll);
    document.addEventListener('keydown', onKey);
    countDecided();
  }

  document.addEventListener('DOMContentLoaded', init);
}());
