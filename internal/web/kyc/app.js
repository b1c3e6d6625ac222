// Hosted KYC page (Dinie V3). The page is opened from a biometrics session link,
// /kyc/?code=dinie_bsc_…: it exchanges the single-use code for a customer session token at
// POST /kyc/exchange, keeps the token in memory only, and drives the customer's KYC uploads,
// bank account and review request through the public API under /api/v3.
(function () {
  'use strict';

  const API = '/api/v3';
  const MAX_FILE_BYTES = 10 * 1024 * 1024;
  const DOC_ACCEPT = 'application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png';
  const DOC_TYPES = ['application/pdf', 'image/jpeg', 'image/png'];
  const IMAGE_TYPES = ['image/jpeg', 'image/png'];
  const POLL_FAST_MS = 2000;
  const POLL_SLOW_MS = 10000;
  const POLL_FAST_FOR_MS = 5 * 60 * 1000;

  // The session lives in these variables only: nothing is written to storage or cookies.
  let token = null;
  let tokenExpiresAt = 0;
  let customerId = null;

  let customer = null;
  let customerSeq = 0; // the newest customer read applied, so a slow answer never overwrites a newer one
  let customerReads = 0;
  let banks = [];
  let account = null;
  let editingAccount = false;
  let reviewing = false;
  let reviewError = null;
  let pollTimer = null;
  let pollStartedAt = 0;
  let ended = false;

  const choices = Object.create(null); // requirement id → chosen document option
  const busy = Object.create(null); // requirement id → an upload is running
  const errors = Object.create(null); // requirement id → {message, detail}
  const drafts = Object.create(null); // requirement id → e-mail being typed

  const MESSAGES = {
    invalid_session_code: 'Este link já foi usado ou expirou. Cada link só pode ser aberto uma vez: peça um novo link para quem o enviou.',
    token_expired: 'Sua sessão expirou. Peça um novo link para continuar.',
    invalid_token: 'Sua sessão expirou. Peça um novo link para continuar.',
    missing_token: 'Sua sessão expirou. Peça um novo link para continuar.',
    forbidden: 'Esta sessão não permite essa operação.',
    invalid_file: 'Não conseguimos ler o arquivo. Envie uma foto nítida ou um PDF válido.',
    unsupported_file_type: 'Formato não aceito. Envie um arquivo PDF, JPG ou PNG.',
    file_too_large: 'O arquivo é maior que 10 MB.',
    request_too_large: 'O arquivo é maior que 10 MB.',
    attachment_already_accepted: 'Este documento já foi aceito e não pode mais ser alterado.',
    invalid_customer_state: 'Não é possível fazer isso na etapa atual do cadastro.',
    kyc_incomplete: 'Ainda faltam documentos obrigatórios.',
    validation_failed: 'Confira os dados informados.',
    invalid_field: 'Confira os dados informados.',
    missing_required_field: 'Preencha todos os campos obrigatórios.',
    unknown_bank: 'Banco não encontrado. Escolha um banco da lista.',
    rate_limit_exceeded: 'Muitas tentativas seguidas. Aguarde alguns segundos e tente de novo.',
    internal_error: 'Tivemos um problema do nosso lado. Tente novamente em instantes.',
    network: 'Não foi possível conectar. Verifique sua internet e tente novamente.'
  };

  const IDENTITY_OPTIONS = [
    { value: 'cnh', label: 'CNH (frente e verso)', evidence: 'cnh', slots: ['front', 'back'] },
    { value: 'cnh_digital', label: 'CNH digital (arquivo)', evidence: 'cnh', slots: ['file'] },
    { value: 'rg', label: 'RG (frente e verso)', evidence: 'rg', slots: ['front', 'back'] }
  ];
  const EI_MEI_OPTIONS = [
    { value: 'ei_registration_requirement', label: 'Requerimento de empresário', evidence: 'ei_mei', slots: ['ei_registration_requirement'] },
    { value: 'ccmei', label: 'CCMEI (Certificado da Condição de MEI)', evidence: 'ei_mei', slots: ['ccmei'] }
  ];
  // Requirements answered by one file, and their evidence type.
  const SINGLE_FILE = {
    proof_of_address: 'proof_of_address',
    company_document: 'ccmei',
    income_statement: 'income_statement',
    articles_of_association: 'articles_of_association',
    eireli_incorporation_statement: 'eireli_incorporation_statement'
  };
  const SLOT_LABELS = {
    front: 'Frente',
    back: 'Verso',
    file: 'Arquivo',
    photo: 'Foto do rosto',
    ei_registration_requirement: 'Requerimento de empresário',
    ccmei: 'CCMEI'
  };
  const KIND_LABELS = { checking: 'Conta corrente', saving: 'Conta poupança', payment: 'Conta de pagamento' };

  // ---------------------------------------------------------------------------------------------
  // HTTP

  // api calls the API with the session token; a 401 ends the session.
  async function api(method, path, body) {
    if (!token || Date.now() >= tokenExpiresAt) {
      const err = new ApiError(401, { code: 'token_expired' });
      sessionExpired(err);
      throw err;
    }
    const headers = { Authorization: 'Bearer ' + token, Accept: 'application/json' };
    const init = { method: method, headers: headers };
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    try {
      return await send(API + path, init);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        sessionExpired(err);
      }
      throw err;
    }
  }

  function customerPath(suffix) {
    return '/customers/' + encodeURIComponent(customerId) + (suffix || '');
  }

  async function refreshCustomer() {
    const seq = ++customerReads;
    const c = await api('GET', customerPath());
    if (seq > customerSeq) {
      customerSeq = seq;
      customer = c;
    }
    return customer;
  }

  async function loadAccount() {
    try {
      account = await api('GET', customerPath('/bank-account'));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        account = null;
        return;
      }
      throw err;
    }
  }

  const { ApiError, send, $, el, setError } = window.DinieUI;

  function describe(err) {
    return window.DinieUI.describe(err, MESSAGES);
  }

  // ---------------------------------------------------------------------------------------------
  // DOM helpers

  function errorNode(e) {
    const p = el('p', { class: 'error', role: 'alert' }, e.message);
    if (e.detail && e.detail !== e.message) {
      p.append(el('span', { class: 'detail' }, e.detail));
    }
    return p;
  }



  function megabytes(n) {
    return (n / (1024 * 1024)).toFixed(1).replace('.', ',');
  }

  // ---------------------------------------------------------------------------------------------
  // Session

  // takeCode reads the code from the address and removes it at once, so it stays in no history
  // entry, bookmark or screenshot of the address bar.
  function takeCode() {
    const url = new URL(window.location.href);
    if (!url.searchParams.has('code')) {
      return null;
    }
    const code = url.searchParams.get('code');
    url.searchParams.delete('code');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
    return code;
  }

  function onBeforeUnload(e) {
    // The link works once: leaving while documents are still being sent loses the session.
    if (!ended && customer && customer.status === 'pending_kyc') {
      e.preventDefault();
      e.returnValue = '';
    }
  }

  function fatal(title, text, detail) {
    ended = true;
    token = null;
    clearTimeout(pollTimer);
    window.removeEventListener('beforeunload', onBeforeUnload);
    for (const id of ['status', 'docs', 'bank', 'review']) {
      $(id).hidden = true;
    }
    $('fatal-title').textContent = title;
    $('fatal-text').textContent = text || '';
    $('fatal-detail').textContent = detail && detail !== text ? detail : '';
    $('fatal-detail').hidden = !$('fatal-detail').textContent;
    $('fatal').hidden = false;
  }

  function sessionExpired(err) {
    if (ended) {
      return;
    }
    const d = describe(err);
    if (customer && customer.status === 'under_review') {
      fatal('Sessão encerrada', 'Seus documentos continuam em análise. Quem enviou o link vai avisar você do resultado.', d.detail);
      return;
    }
    fatal('Sessão expirada', MESSAGES.token_expired, d.detail);
  }

  async function start() {
    const code = takeCode();
    if (!code) {
      fatal('Link incompleto',
        'Este endereço não tem o código de acesso. Abra novamente o link que você recebeu. Se você recarregou a página, peça um novo link: cada link só pode ser aberto uma vez.');
      return;
    }
    let grant;
    try {
      grant = await send('/kyc/exchange', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ code: code })
      });
    } catch (err) {
      const d = describe(err);
      const title = err instanceof ApiError && err.code === 'invalid_session_code'
        ? 'Link inválido ou já utilizado'
        : 'Não foi possível abrir a verificação';
      fatal(title, d.message, d.detail);
      return;
    }
    token = grant.access_token;
    customerId = grant.customer_id;
    tokenExpiresAt = Date.now() + Math.max(60, Number(grant.expires_in) || 3600) * 1000 - 30000;
    window.addEventListener('beforeunload', onBeforeUnload);
    try {
      const results = await Promise.all([refreshCustomer(), api('GET', '/banks'), loadAccount()]);
      banks = results[1] && Array.isArray(results[1].data) ? results[1].data : [];
    } catch (err) {
      if (!ended) {
        const d = describe(err);
        fatal('Não foi possível carregar seu cadastro', d.message, d.detail);
      }
      return;
    }
    fillBanks();
    render();
    schedulePoll();
  }

  function schedulePoll() {
    clearTimeout(pollTimer);
    pollTimer = null;
    if (ended || !customer) {
      return;
    }
    if (customer.status !== 'creating' && customer.status !== 'under_review') {
      pollStartedAt = 0;
      return;
    }
    if (!pollStartedAt) {
      pollStartedAt = Date.now();
    }
    const interval = Date.now() - pollStartedAt < POLL_FAST_FOR_MS ? POLL_FAST_MS : POLL_SLOW_MS;
    pollTimer = setTimeout(async function () {
      try {
        await refreshCustomer();
        render();
      } catch (err) {
        // A failed read is retried at the next tick; a 401 has ended the session.
      }
      schedulePoll();
    }, interval);
  }

  // ---------------------------------------------------------------------------------------------
  // Requirements

  function complete(sub) {
    return !!sub && Array.isArray(sub.attachments) && sub.attachments.length > 0 &&
      sub.attachments.every(function (a) { return a.submitted; });
  }

  function requirementState(r) {
    const s = r.submitted;
    if (!s) {
      return { key: 'none', label: 'Não enviado' };
    }
    if (s.review_status === 'accepted') {
      return { key: 'accepted', label: 'Aceito' };
    }
    if (s.review_status === 'rejected') {
      return { key: 'rejected', label: 'Recusado' };
    }
    if (!complete(s)) {
      return { key: 'partial', label: 'Incompleto' };
    }
    if (customer.status === 'under_review') {
      return { key: 'review', label: 'Em análise' };
    }
    return { key: 'sent', label: 'Enviado' };
  }

  function hasRejected() {
    return (customer.kyc || []).some(function (r) { return r.submitted && r.submitted.review_status === 'rejected'; });
  }

  // planFor says how requirement r is answered: the evidence type, the slots and the route.
  function planFor(r) {
    const s = r.submitted;
    switch (r.requirement_type) {
      case 'identity': {
        let chosen = choices[r.requirement_id];
        if (!chosen && s) {
          if (s.evidence_type === 'rg') {
            chosen = 'rg';
          } else if (s.evidence_type === 'cnh') {
            chosen = s.attachments.some(function (a) { return a.attachment_type === 'file'; }) ? 'cnh_digital' : 'cnh';
          }
        }
        const opt = IDENTITY_OPTIONS.find(function (o) { return o.value === chosen; }) || IDENTITY_OPTIONS[0];
        return { options: IDENTITY_OPTIONS, optionsLabel: 'Tipo de documento', chosen: opt.value, evidence: opt.evidence, slots: opt.slots, route: 'file' };
      }
      case 'ei_mei_documents': {
        let chosen = choices[r.requirement_id];
        if (!chosen && s && s.attachments.length > 0) {
          chosen = s.attachments[0].attachment_type;
        }
        const opt = EI_MEI_OPTIONS.find(function (o) { return o.value === chosen; }) || EI_MEI_OPTIONS[0];
        return { options: EI_MEI_OPTIONS, optionsLabel: 'Documento', chosen: opt.value, evidence: opt.evidence, slots: opt.slots, route: 'file' };
      }
      case 'selfie':
        return { evidence: 'selfie', slots: ['photo'], route: 'selfie', imagesOnly: true };
      case 'email':
        return { evidence: 'email', slots: ['email'], route: 'value' };
      default:
        if (SINGLE_FILE[r.requirement_type]) {
          return { evidence: SINGLE_FILE[r.requirement_type], slots: ['file'], route: 'file' };
        }
        return null;
    }
  }

  function slotSubmitted(r, plan, slot) {
    const s = r.submitted;
    if (!s || s.evidence_type !== plan.evidence || s.review_status === 'rejected') {
      return false;
    }
    return s.attachments.some(function (a) { return a.attachment_type === slot && a.submitted; });
  }

  function subjectLine(r) {
    if (!r.subject) {
      return null;
    }
    const role = r.subject.subject_type === 'co_owner' ? 'Sócio(a)' : 'Titular';
    return r.subject.name ? r.subject.name + ' · ' + role : role;
  }

  function renderRequirements() {
    const list = $('requirements');
    const reqs = Array.isArray(customer.kyc) ? customer.kyc : [];
    $('docs').hidden = reqs.length === 0 || customer.status === 'denied';
    const active = document.activeElement;
    const focusKey = active && active.dataset ? active.dataset.key : '';
    const editable = customer.status === 'pending_kyc';
    $('docs-hint').hidden = !editable;
    list.replaceChildren.apply(list, reqs.map(function (r) { return renderRequirement(r, editable); }));
    if (focusKey) {
      const again = list.querySelector('[data-key="' + CSS.escape(focusKey) + '"]');
      if (again) {
        again.focus();
      }
    }
  }

  function renderRequirement(r, editable) {
    const id = r.requirement_id;
    const st = requirementState(r);
    const li = el('li', { class: 'req', 'data-requirement-id': id, 'data-requirement-type': r.requirement_type, 'data-state': st.key });
    const title = el('div', null,
      el('h3', null, r.label || r.requirement_type),
      subjectLine(r) ? el('p', { class: 'req-subject' }, subjectLine(r)) : null);
    const tags = el('div', { class: 'tags' },
      el('span', { class: 'tag' + (r.mandatory ? '' : ' optional') }, r.mandatory ? 'Obrigatório' : 'Opcional'),
      el('span', { class: 'tag state-' + st.key, 'data-role': 'state' }, st.label));
    li.append(el('div', { class: 'req-head' }, title, tags));
    if (st.key === 'rejected') {
      const reason = r.submitted.review_reason;
      li.append(el('p', { class: 'reason', 'data-role': 'reason' },
        'Motivo da recusa: ' + (reason || 'o documento não pôde ser verificado.')));
    }
    if (editable && st.key !== 'accepted') {
      const plan = planFor(r);
      if (plan) {
        li.append(renderControls(r, plan));
      } else {
        li.append(el('p', { class: 'hint' }, 'Este item não pode ser enviado por esta página.'));
      }
    }
    if (busy[id]) {
      li.append(el('p', { class: 'busy', role: 'status' }, 'Enviando…'));
    }
    if (errors[id]) {
      li.append(errorNode(errors[id]));
    }
    return li;
  }

  function renderControls(r, plan) {
    const id = r.requirement_id;
    const box = el('div', { class: 'controls' });
    const disabled = !!busy[id];
    if (plan.options) {
      const selectID = 'choice-' + id;
      const select = el('select', { id: selectID, name: 'choice', 'data-role': 'choice', 'data-key': 'choice:' + id, disabled: disabled });
      for (const o of plan.options) {
        const opt = el('option', { value: o.value }, o.label);
        opt.selected = o.value === plan.chosen;
        select.append(opt);
      }
      select.addEventListener('change', function () {
        choices[id] = select.value;
        delete errors[id];
        render();
      });
      box.append(el('div', { class: 'choice' }, el('label', { for: selectID }, plan.optionsLabel), select));
    }
    if (plan.route === 'value') {
      box.append(renderEmail(r, disabled));
      return box;
    }
    for (const slot of plan.slots) {
      box.append(renderSlot(r, plan, slot, disabled));
    }
    return box;
  }

  function renderSlot(r, plan, slot, disabled) {
    const id = r.requirement_id;
    const sent = slotSubmitted(r, plan, slot);
    const selfie = plan.route === 'selfie';
    let name = SLOT_LABELS[slot] || slot;
    if (r.requirement_type === 'identity' && slot === 'file') {
      name = 'Arquivo da CNH digital';
    }
    const input = el('input', {
      type: 'file',
      accept: selfie ? 'image/*' : DOC_ACCEPT,
      capture: selfie ? 'user' : null,
      'data-attachment': slot,
      'data-key': 'file:' + id + ':' + slot,
      'aria-label': name + ' — ' + (r.label || ''),
      disabled: disabled
    });
    input.addEventListener('change', function () {
      const file = input.files && input.files[0];
      input.value = '';
      if (file) {
        uploadFile(r, plan, slot, file);
      }
    });
    let action;
    if (selfie) {
      action = sent ? 'Tirar outra' : 'Tirar selfie';
    } else {
      action = sent ? 'Trocar arquivo' : 'Escolher arquivo';
    }
    const stateText = sent ? 'Enviado' : (r.submitted && r.submitted.review_status === 'rejected' ? 'Envie novamente' : 'Pendente');
    return el('div', { class: 'slot', 'data-attachment': slot, 'data-submitted': sent ? 'true' : 'false' },
      el('div', null, el('span', { class: 'slot-name' }, name), el('span', { class: 'slot-state' }, stateText)),
      el('label', { class: 'picker' }, input, el('span', { class: 'button small secondary' }, action)));
  }

  function renderEmail(r, disabled) {
    const id = r.requirement_id;
    const inputID = 'email-' + id;
    const sent = slotSubmitted(r, { evidence: 'email' }, 'email');
    const who = r.subject && r.subject.name ? ' de ' + r.subject.name : '';
    const input = el('input', {
      id: inputID, type: 'email', inputmode: 'email', autocomplete: 'off', spellcheck: 'false',
      placeholder: 'nome@exemplo.com', 'data-key': 'email:' + id, disabled: disabled
    });
    input.value = drafts[id] || '';
    input.addEventListener('input', function () {
      drafts[id] = input.value;
    });
    const button = el('button', { type: 'submit', class: 'button small', disabled: disabled }, sent ? 'Atualizar e-mail' : 'Salvar e-mail');
    const form = el('form', { class: 'email-form', novalidate: true }, input, button);
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      const value = input.value.trim();
      if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
        errors[id] = { message: 'Informe um e-mail válido.' };
        render();
        return;
      }
      const body = new FormData();
      body.append('evidence_type', 'email');
      body.append('requirement_id', id);
      body.append('attachment_type', 'email');
      body.append('value', value);
      submitUpload(id, customerPath('/kyc-attachments'), body, function () { delete drafts[id]; });
    });
    return el('div', { class: 'slot email', 'data-attachment': 'email', 'data-submitted': sent ? 'true' : 'false' },
      el('div', { class: 'field grow' },
        el('label', { for: inputID }, 'E-mail' + who + ' para assinar o contrato' + (sent ? ' (já enviado)' : '')),
        form));
  }

  function fileType(file) {
    if (file.type) {
      return file.type.toLowerCase();
    }
    const name = (file.name || '').toLowerCase();
    if (name.endsWith('.pdf')) {
      return 'application/pdf';
    }
    if (name.endsWith('.jpg') || name.endsWith('.jpeg')) {
      return 'image/jpeg';
    }
    if (name.endsWith('.png')) {
      return 'image/png';
    }
    return '';
  }

  // checkFile refuses early what the server would refuse anyway; the server checks the content.
  function checkFile(file, imagesOnly) {
    if (file.size === 0) {
      return 'O arquivo está vazio.';
    }
    if (file.size > MAX_FILE_BYTES) {
      return 'O arquivo tem ' + megabytes(file.size) + ' MB; o limite é 10 MB.';
    }
    const type = fileType(file);
    const allowed = imagesOnly ? IMAGE_TYPES : DOC_TYPES;
    if (type && allowed.indexOf(type) < 0) {
      return imagesOnly ? 'Envie a foto em JPG ou PNG.' : 'Formato não aceito. Envie um arquivo PDF, JPG ou PNG.';
    }
    return null;
  }

  function uploadFile(r, plan, slot, file) {
    const id = r.requirement_id;
    const problem = checkFile(file, !!plan.imagesOnly);
    if (problem) {
      errors[id] = { message: problem };
      render();
      return;
    }
    const body = new FormData();
    let path = customerPath('/kyc-attachments');
    if (plan.route === 'selfie') {
      path += '/selfie';
      body.append('requirement_id', id);
    } else {
      body.append('evidence_type', plan.evidence);
      body.append('requirement_id', id);
      body.append('attachment_type', slot);
    }
    body.append('file', file, file.name || 'documento');
    submitUpload(id, path, body, null, plan.route === 'selfie');
  }

  async function submitUpload(id, path, body, onDone, selfie) {
    if (busy[id]) {
      return;
    }
    busy[id] = true;
    delete errors[id];
    render();
    try {
      await api('POST', path, body);
      if (onDone) {
        onDone();
      }
      await refreshCustomer();
    } catch (err) {
      if (ended) {
        return;
      }
      errors[id] = describe(err);
      if (selfie && err instanceof ApiError && err.code === 'invalid_file') {
        errors[id].message = 'Não conseguimos usar esta foto. Tire outra, de frente e com boa iluminação.';
      }
      // The answer may come from a state that changed meanwhile (a review, a rejection): read it again.
      refreshCustomer().then(render, function () {});
    } finally {
      delete busy[id];
      render();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Bank account

  function fillBanks() {
    const select = $('bank-id');
    if (select.options.length > 1) {
      return;
    }
    for (const b of banks) {
      select.append(el('option', { value: b.id }, b.display_name || b.id + ' - ' + b.name));
    }
  }

  function bankDisplay(a) {
    const b = banks.find(function (x) { return x.id === a.bank_id; });
    return b ? b.display_name : a.bank_id + ' - ' + a.bank_name;
  }

  function renderBank() {
    const status = customer.status;
    const canEdit = status === 'pending_kyc' || status === 'under_review';
    $('bank').hidden = status === 'denied' || status === 'creating' || (!account && !canEdit);
    if (account) {
      $('bank-saved-text').textContent = bankDisplay(account) + ' · ' + (KIND_LABELS[account.kind] || account.kind) +
        ' · Agência ' + account.branch + ' · Conta ' + account.number + '-' + account.digit;
    }
    $('bank-saved').hidden = !account || editingAccount;
    $('bank-edit').hidden = !canEdit;
    $('bank-form').hidden = !canEdit || (!!account && !editingAccount);
    $('bank-cancel').hidden = !account;
    $('bank-save').textContent = account ? 'Salvar alterações' : 'Salvar conta';
  }

  const BANK_FIELDS = { bank_id: 'bank-id', kind: 'bank-kind', branch: 'bank-branch', number: 'bank-number', digit: 'bank-digit' };

  function markInvalid(names) {
    for (const f of Object.keys(BANK_FIELDS)) {
      const input = $(BANK_FIELDS[f]);
      if (names.indexOf(f) >= 0) {
        input.setAttribute('aria-invalid', 'true');
      } else {
        input.removeAttribute('aria-invalid');
      }
    }
  }

  function bankValues() {
    const digits = function (v) { return v.replace(/[\s.]/g, ''); };
    return {
      bank_id: $('bank-id').value,
      kind: $('bank-kind').value,
      branch: digits($('bank-branch').value),
      number: digits($('bank-number').value),
      digit: $('bank-digit').value.trim().toUpperCase()
    };
  }

  function checkBank(v) {
    const problems = [];
    const bad = [];
    if (!v.bank_id) {
      problems.push('escolha o banco');
      bad.push('bank_id');
    }
    if (!KIND_LABELS[v.kind]) {
      problems.push('escolha o tipo de conta');
      bad.push('kind');
    }
    if (!/^[0-9]{1,4}$/.test(v.branch)) {
      problems.push('a agência tem até 4 números, sem o dígito');
      bad.push('branch');
    }
    if (!/^[0-9]{1,20}$/.test(v.number) || /^0+$/.test(v.number)) {
      problems.push('o número da conta tem só números, sem o dígito');
      bad.push('number');
    }
    if (!/^[0-9X]$/.test(v.digit)) {
      problems.push('o dígito é um número ou X');
      bad.push('digit');
    }
    return { problems: problems, bad: bad };
  }

  async function saveBank(e) {
    e.preventDefault();
    const v = bankValues();
    const check = checkBank(v);
    markInvalid(check.bad);
    if (check.problems.length > 0) {
      const text = check.problems.join('; ');
      setError($('bank-error'), { message: 'Confira os dados: ' + text + '.' });
      return;
    }
    setError($('bank-error'), null);
    const save = $('bank-save');
    save.disabled = true;
    save.textContent = 'Salvando…';
    try {
      account = await api('POST', customerPath('/bank-account'), { bank_account: v });
      editingAccount = false;
    } catch (err) {
      if (ended) {
        return;
      }
      const fields = err instanceof ApiError ? err.fields.map(function (f) { return String(f.param || '').replace(/^bank_account\./, ''); }) : [];
      markInvalid(fields);
      setError($('bank-error'), describe(err));
    } finally {
      save.disabled = false;
      if (!ended) {
        render();
      }
    }
  }

  function editBank() {
    if (account) {
      $('bank-id').value = account.bank_id;
      $('bank-kind').value = account.kind;
      $('bank-branch').value = account.branch;
      $('bank-number').value = account.number;
      $('bank-digit').value = account.digit;
    }
    editingAccount = true;
    setError($('bank-error'), null);
    markInvalid([]);
    render();
    $('bank-id').focus();
  }

  function cancelBank() {
    editingAccount = false;
    setError($('bank-error'), null);
    markInvalid([]);
    render();
  }

  // ---------------------------------------------------------------------------------------------
  // Review

  function missingItems() {
    const out = [];
    for (const r of customer.kyc || []) {
      if (!r.mandatory) {
        continue;
      }
      const st = requirementState(r).key;
      if (st === 'none' || st === 'partial' || st === 'rejected') {
        const who = r.subject && r.subject.name && r.subject.subject_type === 'co_owner' ? ' (' + r.subject.name + ')' : '';
        out.push((r.label || r.requirement_type) + who);
      }
    }
    if (!account) {
      out.push('conta bancária');
    }
    return out;
  }

  function renderReview() {
    const show = customer.status === 'pending_kyc';
    $('review').hidden = !show;
    if (!show) {
      return;
    }
    const missing = missingItems();
    const uploading = Object.keys(busy).length > 0;
    $('review-hint').textContent = missing.length > 0
      ? 'Para enviar, falta: ' + missing.join(', ') + '.'
      : 'Tudo pronto. Confira os dados e envie para análise.';
    const button = $('submit-review');
    button.disabled = missing.length > 0 || uploading || reviewing;
    button.textContent = reviewing ? 'Enviando…' : 'Enviar para análise';
    setError($('review-error'), reviewError);
  }

  async function startReview() {
    if (reviewing) {
      return;
    }
    reviewing = true;
    reviewError = null;
    render();
    try {
      await api('POST', customerPath('/kyc-review'));
      await refreshCustomer();
      window.scrollTo(0, 0);
    } catch (err) {
      if (ended) {
        return;
      }
      reviewError = describe(err);
      refreshCustomer().then(render, function () {});
    } finally {
      reviewing = false;
      if (!ended) {
        render();
        schedulePoll();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Status

  function renderStatus() {
    const panel = $('status');
    let key = customer.status;
    let title;
    let text;
    switch (customer.status) {
      case 'creating':
        title = 'Preparando seu cadastro';
        text = 'Aguarde um instante: esta página se atualiza sozinha.';
        break;
      case 'pending_kyc':
        if (hasRejected()) {
          key = 'rejected';
          title = 'Precisamos de um novo envio';
          text = 'Alguns documentos foram recusados. Veja o motivo em cada item, envie-os novamente e toque em “Enviar para análise”.';
        } else {
          title = customer.name ? 'Olá, ' + customer.name.split(' ')[0] + '!' : 'Olá!';
          text = 'Envie os documentos abaixo, informe a conta que vai receber o crédito e toque em “Enviar para análise”.';
        }
        break;
      case 'under_review':
        title = 'Em análise';
        text = 'Recebemos seus documentos e eles estão em análise. Esta página se atualiza sozinha.';
        break;
      case 'active':
        title = 'Aprovado';
        text = 'Seu cadastro foi aprovado. Você já pode fechar esta página.';
        break;
      case 'denied':
        title = 'Não aprovado';
        text = 'Não foi possível aprovar o seu cadastro. Em caso de dúvida, fale com a empresa que enviou este link.';
        break;
      default:
        title = 'Cadastro';
        text = '';
    }
    panel.dataset.status = key;
    $('status-title').textContent = title;
    $('status-text').textContent = text;
    panel.hidden = false;
  }

  function render() {
    if (ended || !customer) {
      return;
    }
    renderStatus();
    renderRequirements();
    renderBank();
    renderReview();
  }

  // ---------------------------------------------------------------------------------------------

  function init() {
    $('bank-form').addEventListener('submit', saveBank);
    $('bank-edit').addEventListener('click', editBank);
    $('bank-cancel').addEventListener('click', cancelBank);
    $('submit-review').addEventListener('click', startReview);
    start();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
}());
