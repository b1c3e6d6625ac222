// Hosted CCB signing page (Dinie V3). The page is opened from a loan's signing_url, /sign/<token>: the
// token in the address is the capability to read and sign that loan's CCB. The page reads the signing
// session at GET /sign/<token>/session, shows the terms, embeds the CCB from /sign/<token>/ccb.pdf,
// checks the SHA-256 of the bytes it received against the session's, and records each signer's
// signature at POST /sign/<token>/signatures. It keeps nothing in storage or cookies.
(function () {
  'use strict';

  const MESSAGES = {
    signing_session_invalid: 'Este link de assinatura não está mais disponível: ele pode ter expirado, o contrato pode ter sido cancelado ou todas as assinaturas já foram coletadas. Em caso de dúvida, fale com a empresa que enviou este link.',
    signer_not_found: 'Este CPF não está entre as pessoas que ainda precisam assinar esta cédula. Confira o número.',
    invalid_cpf: 'CPF inválido. Confira os números.',
    invalid_loan_state: 'O contrato mudou depois que esta página foi aberta. Leia o documento atualizado antes de assinar.',
    validation_failed: 'Confira os dados informados.',
    invalid_field: 'Confira os dados informados.',
    missing_required_field: 'Preencha todos os campos.',
    rate_limit_exceeded: 'Muitas tentativas seguidas. Aguarde alguns segundos e tente de novo.',
    internal_error: 'Tivemos um problema do nosso lado. Tente novamente em instantes.',
    network: 'Não foi possível conectar. Verifique sua internet e tente novamente.'
  };

  // FOCUS_GUARD_MS is how long after the PDF viewer is added a focus it takes is given back (guardFocus).
  const FOCUS_GUARD_MS = 8000;

  let base = ''; // /sign/<token>
  let session = null;
  let signing = false;
  let ended = false;
  let documentShown = false;
  // The document's check: 'checking', then 'verified' (the bytes received hash to the session's
  // document_sha256), 'mismatch' (they do not: signing is blocked) or 'unchecked' (the browser cannot
  // hash, or the download failed: the server still checks the hash it is sent).
  let hashState = 'checking';
  let checks = 0;
  let verifying = Promise.resolve();

  // ---------------------------------------------------------------------------------------------
  // HTTP

  const { ApiError, send, $, el, setError } = window.DinieUI;

  function describe(err) {
    return window.DinieUI.describe(err, MESSAGES);
  }

  // ---------------------------------------------------------------------------------------------
  // DOM helpers



  // ---------------------------------------------------------------------------------------------
  // Formatting (pt-BR, by hand, so the page reads the same in every browser)

  function pad2(n) {
    return String(n).padStart(2, '0');
  }

  function money(v) {
    const n = Number(v);
    if (v === null || v === undefined || v === '' || !Number.isFinite(n)) {
      return '—';
    }
    const cents = Math.round(Math.abs(n) * 100);
    const whole = String(Math.floor(cents / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, '.');
    return (n < 0 ? '-' : '') + 'R$\u00a0' + whole + ',' + pad2(cents % 100);
  }

  // percent writes a rate as sent (3.49 → "3,49%"), with at least two decimals.
  function percent(v) {
    const n = Number(v);
    if (v === null || v === undefined || v === '' || !Number.isFinite(n)) {
      return '—';
    }
    const parts = String(v).split('.');
    return parts[0] + ',' + (parts[1] || '').padEnd(2, '0') + '%';
  }

  function isoDate(s) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(s || ''));
    return m ? m[3] + '/' + m[2] + '/' + m[1] : '—';
  }

  // dateTime writes an epoch (seconds) as dd/mm/aaaa hh:mm in Brasília time.
  function dateTime(epoch) {
    const d = new Date(Number(epoch) * 1000);
    try {
      const parts = {};
      const f = new Intl.DateTimeFormat('pt-BR', {
        timeZone: 'America/Sao_Paulo', year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', hourCycle: 'h23'
      });
      for (const p of f.formatToParts(d)) {
        parts[p.type] = p.value;
      }
      return parts.day + '/' + parts.month + '/' + parts.year + ' ' + parts.hour + ':' + parts.minute;
    } catch (e) {
      // No time zone data: Brasília has been UTC−3 all year since 2019.
      const b = new Date(d.getTime() - 3 * 3600 * 1000);
      return pad2(b.getUTCDate()) + '/' + pad2(b.getUTCMonth() + 1) + '/' + b.getUTCFullYear() + ' ' +
        pad2(b.getUTCHours()) + ':' + pad2(b.getUTCMinutes());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // CPF

  function formatCPF(digits) {
    let out = '';
    for (let i = 0; i < digits.length && i < 11; i++) {
      if (i === 3 || i === 6) {
        out += '.';
      } else if (i === 9) {
        out += '-';
      }
      out += digits[i];
    }
    return out;
  }

  function validCPF(d) {
    if (!/^\d{11}$/.test(d) || /^(\d)\1{10}$/.test(d)) {
      return false;
    }
    for (let t = 9; t < 11; t++) {
      let sum = 0;
      for (let i = 0; i < t; i++) {
        sum += Number(d[i]) * (t + 1 - i);
      }
      const r = sum % 11;
      if ((r < 2 ? 0 : 11 - r) !== Number(d[t])) {
        return false;
      }
    }
    return true;
  }

  // onCPFInput formats the CPF as it is typed or pasted, keeping the caret after the same digit.
  function onCPFInput() {
    const input = $('cpf');
    const value = input.value;
    const caret = input.selectionStart === null ? value.length : input.selectionStart;
    const before = value.slice(0, caret).replace(/\D/g, '').length;
    const formatted = formatCPF(value.replace(/\D/g, ''));
    if (formatted !== value) {
      input.value = formatted;
      let pos = 0;
      for (let seen = 0; pos < formatted.length && seen < before; pos++) {
        if (/\d/.test(formatted[pos])) {
          seen++;
        }
      }
      if (document.activeElement === input) {
        input.setSelectionRange(pos, pos);
      }
    }
    input.removeAttribute('aria-invalid');
  }

  // ---------------------------------------------------------------------------------------------
  // The document

  function hex(buf) {
    return Array.from(new Uint8Array(buf), function (b) { return b.toString(16).padStart(2, '0'); }).join('');
  }

  // documentState downloads the CCB and says whether its SHA-256 is expected: 'verified' or 'mismatch',
  // or 'unchecked' when the browser cannot hash (no crypto.subtle outside a secure context) or the
  // download failed.
  async function documentState(expected) {
    if (!window.crypto || !window.crypto.subtle) {
      return 'unchecked';
    }
    try {
      const res = await fetch(base + '/ccb.pdf', { cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' });
      if (!res.ok) {
        return 'unchecked';
      }
      const sum = hex(await window.crypto.subtle.digest('SHA-256', await res.arrayBuffer()));
      return sum === String(expected).toLowerCase() ? 'verified' : 'mismatch';
    } catch (e) {
      return 'unchecked';
    }
  }

  // checkDocument checks the CCB against the session's document_sha256; only the newest check counts.
  function checkDocument() {
    const seq = ++checks;
    hashState = 'checking';
    verifying = documentState(session.document_sha256).then(function (state) {
      if (seq === checks) {
        hashState = state;
        render();
      }
    });
  }

  // guardFocus gives the focus back to the form when the PDF viewer takes it by itself: Chromium's viewer
  // focuses the document once it has loaded it, and what someone was typing in the CPF field meanwhile
  // would go into the PDF. Only once, and only shortly after the viewer was added; a later move into
  // the PDF is the reader's own.
  function guardFocus(viewer) {
    let left = null;
    function stop() {
      document.removeEventListener('focusout', onFocusOut, true);
      window.removeEventListener('blur', onBlur);
    }
    function onFocusOut(e) {
      left = e.target instanceof Element && e.target.closest('#sign-form') ? e.target : null;
    }
    function onBlur() {
      const back = left;
      // After the blur: focusing during it does not take the keyboard back from the viewer's frame.
      setTimeout(function () {
        if (document.activeElement === viewer && back && !back.disabled && !ended) {
          stop();
          window.focus();
          back.focus();
        }
      }, 0);
    }
    document.addEventListener('focusout', onFocusOut, true);
    window.addEventListener('blur', onBlur);
    setTimeout(stop, FOCUS_GUARD_MS);
  }

  function renderDocument() {
    const url = base + '/ccb.pdf';
    if (!documentShown) {
      documentShown = true;
      const viewer = el('object', { data: url, type: 'application/pdf', 'aria-label': 'Cédula de Crédito Bancário (PDF)' },
        el('p', { class: 'fallback' }, 'Este aparelho não mostra o PDF dentro da página. Toque em “Abrir a cédula em PDF” para lê-lo.'));
      $('viewer').append(viewer);
      guardFocus(viewer);
      $('ccb-link').setAttribute('href', url);
    }
    $('ccb-hash').textContent = session.document_sha256 || '';
    const texts = {
      checking: 'Conferindo o documento…',
      verified: 'Conferido: o documento recebido neste aparelho tem esta impressão digital.',
      mismatch: 'O documento recebido não confere com esta impressão digital. Não assine: recarregue a página.',
      unchecked: 'A impressão digital é registrada com cada assinatura.'
    };
    const box = $('ccb-hash-state').parentNode;
    box.dataset.state = hashState;
    $('ccb-hash-state').textContent = texts[hashState];
  }

  // ---------------------------------------------------------------------------------------------
  // Rendering

  function signers() {
    return session && Array.isArray(session.signers) ? session.signers : [];
  }

  function allSigned() {
    const list = signers();
    return list.length > 0 && list.every(function (s) { return s.signed; });
  }

  function renderSummary() {
    const s = session;
    $('ccb-number').textContent = s.ccb_number || '—';
    $('sum-requested').textContent = money(s.requested_amount);
    $('sum-installments').textContent = s.installment_count + ' × ' + money(s.installment_amount);
    $('sum-first-due').textContent = isoDate(s.first_due_date);
    $('sum-rate').textContent = percent(s.monthly_interest_rate) + ' a.m.';
    $('sum-cet').textContent = percent(s.annual_cet_rate) + ' a.a.';
    $('sum-total').textContent = money(s.total_amount);
  }

  function renderSigners() {
    const list = signers();
    const signed = list.filter(function (s) { return s.signed; }).length;
    $('signers-hint').textContent = signed + ' de ' + list.length + (list.length === 1 ? ' assinatura coletada.' : ' assinaturas coletadas.');
    $('signers').replaceChildren.apply($('signers'), list.map(function (s) {
      const state = s.signed
        ? el('span', { class: 'tag signed' }, s.signed_at ? 'Assinado em ' + dateTime(s.signed_at) : 'Assinado')
        : el('span', { class: 'tag pending' }, 'Pendente');
      return el('li', { class: 'signer', 'data-signed': s.signed ? 'true' : 'false' },
        el('div', null,
          el('span', { class: 'signer-name' }, s.name || ''),
          el('span', { class: 'signer-cpf' }, s.cpf_masked ? 'CPF ' + s.cpf_masked : '')),
        state);
    }));
  }

  function render() {
    if (ended || !session) {
      return;
    }
    const done = allSigned();
    const list = signers();
    const left = list.filter(function (s) { return !s.signed; }).length;
    $('status').hidden = done;
    $('status').dataset.status = 'awaiting';
    $('status-title').textContent = 'Aguardando assinaturas';
    $('status-text').textContent = left === 1
      ? 'Falta 1 assinatura. Leia a cédula e assine com o seu CPF.'
      : 'Faltam ' + left + ' assinaturas. Leia a cédula e assine com o seu CPF.';
    $('done').hidden = !done;
    renderSummary();
    renderDocument();
    renderSigners();
    $('contract').hidden = false;
    $('document').hidden = false;
    $('signers-block').hidden = false;
    $('sign').hidden = done;
    // Once all have signed the link no longer serves the document.
    $('reading').hidden = done;
    $('signed-hint').hidden = !done;
    const button = $('sign-submit');
    button.disabled = signing || hashState === 'mismatch';
    button.textContent = signing ? 'Assinando…' : 'Assinar';
  }

  function fatal(title, text, detail) {
    ended = true;
    for (const id of ['status', 'done', 'contract', 'document', 'signers-block', 'sign']) {
      $(id).hidden = true;
    }
    $('fatal-title').textContent = title;
    $('fatal-text').textContent = text || '';
    $('fatal-detail').textContent = detail && detail !== text ? detail : '';
    $('fatal-detail').hidden = !$('fatal-detail').textContent;
    $('fatal').hidden = false;
  }

  function unavailable(err) {
    const d = describe(err);
    if (err instanceof ApiError && err.code === 'signing_session_invalid') {
      fatal('Link inválido ou expirado', MESSAGES.signing_session_invalid, d.detail);
    } else {
      fatal('Não foi possível abrir a assinatura', d.message, d.detail);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Session and signature

  async function load() {
    session = await send(base + '/session', { headers: { Accept: 'application/json' } });
  }

  // refresh reads the session again, when the page comes back into view: another signer may have
  // signed on another device meanwhile.
  async function refresh() {
    if (ended || signing || !session || allSigned()) {
      return;
    }
    const before = session.document_sha256;
    try {
      await load();
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        unavailable(err);
      }
      return;
    }
    if (session.document_sha256 !== before) {
      checkDocument();
    }
    render();
  }

  async function submitSignature(e) {
    e.preventDefault();
    if (signing || ended || !session || allSigned()) {
      return;
    }
    const input = $('cpf');
    const error = $('sign-error');
    $('sign-success').hidden = true;
    const digits = input.value.replace(/\D/g, '');
    if (digits.length !== 11 || !validCPF(digits)) {
      input.setAttribute('aria-invalid', 'true');
      setError(error, { message: digits.length !== 11 ? 'Informe os 11 números do CPF de quem está assinando.' : MESSAGES.invalid_cpf });
      input.focus();
      return;
    }
    if (!$('accept').checked) {
      setError(error, { message: 'Para assinar, marque “Li e concordo com os termos da Cédula de Crédito Bancário”.' });
      $('accept').focus();
      return;
    }
    setError(error, null);
    signing = true;
    render();
    try {
      await verifying;
      if (hashState === 'mismatch') {
        setError(error, { message: 'O documento recebido não confere com a impressão digital do contrato. Recarregue a página antes de assinar.' });
        return;
      }
      const before = signers();
      const next = await send(base + '/signatures', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ cpf: formatCPF(digits), document_sha256: session.document_sha256, accept: true })
      });
      // Who just signed: a signer newly signed whose masked CPF shows the typed CPF's middle digits.
      const after = next && Array.isArray(next.signers) ? next.signers : [];
      const fresh = after.filter(function (s, i) { return s.signed && !(before[i] && before[i].signed); });
      const who = fresh.find(function (s) { return String(s.cpf_masked || '').replace(/\D/g, '') === digits.slice(3, 9); }) || fresh[0];
      session = next;
      input.value = '';
      input.removeAttribute('aria-invalid');
      $('accept').checked = false;
      const ok = $('sign-success');
      ok.textContent = 'Assinatura registrada' + (who && who.name ? ' para ' + who.name : '') + '.';
      ok.hidden = false;
    } catch (err) {
      if (err instanceof ApiError && err.code === 'signing_session_invalid') {
        unavailable(err);
        return;
      }
      setError(error, describe(err));
      if (err instanceof ApiError && (err.code === 'signer_not_found' || err.code === 'invalid_cpf')) {
        input.setAttribute('aria-invalid', 'true');
      }
      if (err instanceof ApiError && err.code === 'invalid_loan_state') {
        // The CCB changed: show the current one and its fingerprint before anyone signs.
        const shown = session.document_sha256;
        try {
          await load();
          if (session.document_sha256 !== shown) {
            checkDocument();
          }
        } catch (e) {
          if (e instanceof ApiError && e.status === 404) {
            unavailable(e);
          }
        }
      }
    } finally {
      signing = false;
      render();
      if (allSigned()) {
        $('done').focus();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  async function start() {
    const m = /^\/sign\/([A-Za-z0-9_-]+)$/.exec(window.location.pathname);
    if (!m) {
      fatal('Link incompleto', 'Este endereço não é um link de assinatura. Abra novamente o link que você recebeu.');
      return;
    }
    base = '/sign/' + m[1];
    try {
      await load();
    } catch (err) {
      unavailable(err);
      return;
    }
    checkDocument();
    render();
  }

  function init() {
    $('cpf').addEventListener('input', onCPFInput);
    $('sign-form').addEventListener('submit', submitSignature);
    $('done').setAttribute('tabindex', '-1');
    document.addEventListener('visibilitychange', function () {
      if (document.visibilityState === 'visible') {
        refresh();
      }
    });
    start();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
