// keyforge portal: small enhancements on top of pages that work without JavaScript.
(() => {
  'use strict';

  const live = document.createElement('div');
  live.className = 'visually-hidden';
  live.setAttribute('role', 'status');
  live.setAttribute('aria-live', 'polite');
  document.body.append(live);
  const announce = (text) => {
    live.textContent = '';
    window.setTimeout(() => { live.textContent = text; }, 50);
  };

  // Tabs: links that reload the page without JS; an ARIA tablist with arrow keys with it.
  for (const root of document.querySelectorAll('[data-tabs]')) {
    const list = root.querySelector('[data-tablist]');
    const tabs = [...root.querySelectorAll('[data-tab]')];
    const panels = tabs.map((t) => document.getElementById(t.getAttribute('aria-controls')));
    if (!list || panels.some((p) => !p)) continue;
    list.setAttribute('role', 'tablist');
    const select = (index, focus, remember) => {
      tabs.forEach((tab, i) => {
        const on = i === index;
        tab.setAttribute('aria-selected', String(on));
        tab.tabIndex = on ? 0 : -1;
        tab.removeAttribute('aria-current');
        panels[i].hidden = !on;
      });
      if (focus) tabs[index].focus();
      if (remember) history.replaceState(null, '', tabs[index].getAttribute('href'));
    };
    tabs.forEach((tab, i) => {
      tab.setAttribute('role', 'tab');
      panels[i].setAttribute('role', 'tabpanel');
      panels[i].tabIndex = 0;
      tab.addEventListener('click', (e) => {
        e.preventDefault();
        select(i, false, true);
      });
      tab.addEventListener('keydown', (e) => {
        const last = tabs.length - 1;
        const next = { ArrowRight: i === last ? 0 : i + 1, ArrowLeft: i === 0 ? last : i - 1, Home: 0, End: last }[e.key];
        if (next === undefined) return;
        e.preventDefault();
        select(next, true, true);
      });
    });
    const current = tabs.findIndex((t) => t.hasAttribute('aria-current'));
    select(current < 0 ? 0 : current, false, false);
  }

  // Copy buttons: the value sits in a read-only field anyone can select without them.
  const copyText = async (el) => {
    try {
      await navigator.clipboard.writeText(el.value);
      return true;
    } catch {
      el.focus();
      el.select();
      return Boolean(document.execCommand && document.execCommand('copy'));
    }
  };
  for (const btn of document.querySelectorAll('[data-copy]')) {
    const target = document.getElementById(btn.dataset.copy);
    if (!target) continue;
    btn.hidden = false;
    btn.addEventListener('click', async () => {
      const ok = await copyText(target);
      const label = btn.querySelector('.copy-btn__text');
      if (label) label.textContent = ok ? 'Copied' : 'Select and copy';
      btn.classList.toggle('is-copied', ok);
      announce(ok ? 'Copied to the clipboard' : 'Copying is blocked; select the text and copy it');
      window.setTimeout(() => {
        if (label) label.textContent = 'Copy';
        btn.classList.remove('is-copied');
      }, 2000);
    });
  }

  // "3600" -> "1 hour" next to validity fields.
  const units = [[86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  const human = (raw) => {
    const text = raw.trim();
    if (!/^-?\d+$/.test(text)) return '';
    const n = Number(text);
    if (n < 0) return 'never expires';
    if (n === 0) return '';
    const parts = [];
    let rest = n;
    for (const [size, name] of units) {
      const q = Math.floor(rest / size);
      if (q) parts.push(`${q} ${name}${q === 1 ? '' : 's'}`);
      rest %= size;
      if (parts.length === 2) break;
    }
    return `= ${parts.join(' ')}`;
  };
  for (const input of document.querySelectorAll('[data-seconds]')) {
    const out = input.closest('.input-group')?.querySelector('[data-seconds-readout]');
    if (!out) continue;
    const update = () => { out.textContent = human(input.value); };
    input.addEventListener('input', update);
    update();
  }

  // More scope rows on the API form.
  for (const btn of document.querySelectorAll('[data-add-scope]')) {
    const rows = btn.parentElement.querySelector('[data-scope-rows]');
    if (!rows) continue;
    btn.hidden = false;
    btn.addEventListener('click', () => {
      const all = rows.querySelectorAll('[data-scope-row]');
      const row = all[all.length - 1].cloneNode(true);
      const index = all.length;
      for (const el of row.querySelectorAll('input')) {
        el.value = '';
        el.removeAttribute('placeholder');
        el.id = el.id.replace(/-\d+$/, `-${index}`);
      }
      for (const label of row.querySelectorAll('label')) {
        label.htmlFor = label.htmlFor.replace(/-\d+$/, `-${index}`);
        label.textContent = label.textContent.replace(/\d+/, String(index + 1));
      }
      rows.append(row);
      row.querySelector('input').focus();
    });
  }

  // After a failed submit or a one-time result, start where the news is.
  const focusTarget = [...document.querySelectorAll('[data-focus-on-load]')].find((el) => el.offsetParent !== null);
  if (focusTarget) {
    focusTarget.focus({ preventScroll: true });
    focusTarget.scrollIntoView({ block: 'start' });
  }
})();
