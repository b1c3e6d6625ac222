// Shared by the hosted pages (KYC and signing): a fetch that turns RFC 9457 problems into ApiError, the
// Portuguese message for a problem, and small DOM helpers. Loaded before each page's app.js.
(function () {
  'use strict';

  class ApiError extends Error {
    constructor(status, problem) {
      const p = problem && typeof problem === 'object' ? problem : {};
      super(p.detail || 'HTTP ' + status);
      this.status = status;
      this.code = typeof p.code === 'string' ? p.code : '';
      this.detail = typeof p.detail === 'string' ? p.detail : '';
      this.fields = Array.isArray(p.errors) ? p.errors : [];
    }
  }

  async function send(url, init) {
    let res;
    try {
      res = await fetch(url, Object.assign({ cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' }, init));
    } catch (e) {
      throw new ApiError(0, { code: 'network' });
    }
    let text = '';
    try {
      text = await res.text();
    } catch (e) {
      throw new ApiError(0, { code: 'network' });
    }
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = null;
      }
    }
    if (!res.ok) {
      throw new ApiError(res.status, data);
    }
    return data;
  }

  // describe returns the message a page shows for err, from its own messages by problem code, and the
  // server's detail.
  function describe(err, messages) {
    if (!(err instanceof ApiError)) {
      return { message: messages.internal_error, detail: err && err.message ? String(err.message) : '' };
    }
    let message = messages[err.code];
    if (!message) {
      message = err.status >= 500 ? messages.internal_error : 'Não foi possível concluir. Confira e tente novamente.';
    }
    let detail = err.detail;
    if (err.code === 'validation_failed' && err.fields.length > 0) {
      detail = err.fields.map(function (f) { return f.detail; }).filter(Boolean).join('; ');
    }
    return { message: message, detail: detail };
  }

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, attrs) {
    const n = document.createElement(tag);
    if (attrs) {
      for (const k of Object.keys(attrs)) {
        const v = attrs[k];
        if (v === null || v === undefined || v === false) {
          continue;
        }
        if (k === 'class') {
          n.className = v;
        } else if (v === true) {
          n.setAttribute(k, '');
        } else {
          n.setAttribute(k, String(v));
        }
      }
    }
    for (let i = 2; i < arguments.length; i++) {
      const c = arguments[i];
      if (c === null || c === undefined || c === false) {
        continue;
      }
      n.append(c);
    }
    return n;
  }

  function setError(node, e) {
    node.replaceChildren();
    if (!e) {
      node.hidden = true;
      return;
    }
    node.append(e.message);
    if (e.detail && e.detail !== e.message) {
      node.append(el('span', { class: 'detail' }, e.detail));
    }
    node.hidden = false;
  }
  window.DinieUI = Object.freeze({ ApiError: ApiError, send: send, describe: describe, $: $, el: el, setError: setError });
})();
