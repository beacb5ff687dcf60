"use strict";
// The upload page: no framework, no CDN, nothing but this file and upload.css.
// Small files go inline (validated at once); larger ones go straight to S3 through the
// presigned request POST /uploads answers: one PUT or POST, or a multipart upload whose
// parts are sent a few at a time. Then the page polls the upload until it is validated.
(function () {
  const base = document.body.dataset.base || "";
  const inlineMax = Number(document.body.dataset.inlineMax || 0);
  const INLINE_SLACK = 8192; // room for the multipart envelope around an inline file
  const PARALLEL_PARTS = 4; // parts in flight per file
  const SIGN_BATCH = 50; // part URLs asked for at a time
  const PART_TRIES = 3;
  const POLL_LIMIT_MS = 15 * 60 * 1000;
  const list = document.getElementById("files");
  const drop = document.getElementById("drop");
  const picker = document.getElementById("picker");
  const tokenField = document.getElementById("token");

  // AUTH_MODE=jwt: a bearer token from the field, or from the address's fragment
  // (#token=...: a fragment never reaches a server or its logs), kept for this tab only
  // and taken out of the address bar at once. It goes to this API, never to S3.
  (function takeToken() {
    const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
    if (fromHash) {
      sessionStorage.setItem("uploadToken", fromHash);
      history.replaceState(null, "", location.pathname + location.search);
    }
    if (tokenField) {
      tokenField.value = sessionStorage.getItem("uploadToken") || "";
      tokenField.addEventListener("change", () => sessionStorage.setItem("uploadToken", tokenField.value.trim()));
    }
  })();

  function authHeaders() {
    const token = (tokenField ? tokenField.value : sessionStorage.getItem("uploadToken") || "").trim();
    return token ? { Authorization: "Bearer " + token } : {};
  }

  // An error with words a person can act on; `rejected` means the service refused the file
  // itself (its type, size or content), as opposed to a failure to deliver it.
  class UploadFailure extends Error {
    constructor(message, { rejected = false, fatal = false } = {}) {
      super(message);
      this.rejected = rejected;
      this.fatal = fatal;
    }
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  function formatSize(n) {
    const units = ["bytes", "KB", "MB", "GB", "TB"];
    let i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return (i ? n.toFixed(n < 10 ? 1 : 0) : String(n)) + " " + units[i];
  }

  function hostOf(url) {
    try { return new URL(url, location.href).host; } catch (e) { return url; }
  }

  function request(method, url, { body = null, headers = {}, onProgress = null, responseType = "" } = {}) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.responseType = responseType;
      Object.entries(headers).forEach(([k, v]) => {
        // The browser sets Content-Length and Host itself and refuses to be told.
        if (!/^(content-length|host)$/i.test(k)) xhr.setRequestHeader(k, v);
      });
      if (onProgress) xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); };
      xhr.onload = () => resolve(xhr);
      xhr.onerror = () => reject(new UploadFailure(
        "Could not reach " + hostOf(url) + " (the network failed, or it refused this page's origin)"));
      xhr.onabort = () => reject(new UploadFailure("The upload was cancelled"));
      xhr.send(body);
    });
  }

  function parse(xhr) {
    try { return JSON.parse(xhr.responseText); } catch (e) { return {}; }
  }

  // Status codes where the service judged the file itself, not the delivery.
  const REFUSALS = [400, 413, 415, 422];

  async function downloadWithToken(url, filename) {
    const xhr = await request("GET", url, { headers: authHeaders(), responseType: "blob" });
    if (xhr.status !== 200) throw new UploadFailure("The download failed (" + xhr.status + ")");
    const saver = document.createElement("a");
    saver.href = URL.createObjectURL(xhr.response);
    saver.download = filename;
    document.body.appendChild(saver);
    saver.click();
    saver.remove();
    setTimeout(() => URL.revokeObjectURL(saver.href), 60_000);
  }

  function apiError(xhr) {
    if (xhr.status === 401) {
      return new UploadFailure("This service needs an access token: paste yours in the field above", { fatal: true });
    }
    const err = parse(xhr).error;
    const message = err && err.message ? err.message : "The service answered " + xhr.status;
    return new UploadFailure(message, { rejected: REFUSALS.includes(xhr.status) });
  }

  async function api(method, path, payload) {
    const xhr = await request(method, base + path, payload === undefined ? { headers: authHeaders() } : {
      body: JSON.stringify(payload), headers: { "Content-Type": "application/json", ...authHeaders() },
    });
    if (xhr.status < 200 || xhr.status >= 300) throw apiError(xhr);
    return parse(xhr);
  }

  // S3 answers errors in XML: its <Message> is the readable part.
  function storageError(xhr, what) {
    const match = /<Message>([^<]*)<\/Message>/.exec(xhr.responseText || "");
    return new UploadFailure("Storage refused " + what + " (" + xhr.status + (match ? ": " + match[1] : "") + ")");
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // One list item per file: name, size, a progress bar, and a status line.
  function row(file) {
    const li = el("li", "file");
    li.dataset.state = "uploading";
    const head = el("div", "row");
    const name = el("span", "name", file.name);
    head.append(name, el("span", "size", formatSize(file.size)));
    const bar = el("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload progress of " + file.name);
    const foot = el("div", "row");
    const status = el("span", "status", "Waiting…");
    const pct = el("span", "pct", "0%");
    pct.setAttribute("aria-hidden", "true");
    foot.append(status, pct);
    li.append(head, bar, foot);
    list.appendChild(li);
    let shown = -1;
    return {
      progress(fraction) {
        const value = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
        if (value === shown) return;
        shown = value;
        bar.value = value;
        pct.textContent = value + "%";
      },
      state(state, text) {
        li.dataset.state = state;
        status.textContent = text;
      },
      accepted(upload) {
        li.dataset.state = "accepted";
        status.textContent = "Accepted. ";
        const link = el("a", "download", "Download");
        link.href = base + "/uploads/" + encodeURIComponent(upload.id) + "/content";
        link.setAttribute("aria-label", "Download " + upload.filename);
        link.addEventListener("click", (event) => {
          if (!Object.keys(authHeaders()).length) return; // a plain link: no token to send
          // A link cannot carry a bearer token: fetch the content with it (the API answers a
          // 303 to S3, which the browser follows without the token), then save the bytes.
          event.preventDefault();
          downloadWithToken(link.href, upload.filename).catch((e) => ui.state("accepted", "Accepted. " + e.message));
        });
        status.appendChild(link);
      },
    };
  }

  function show(ui, upload) {
    if (upload.status === "accepted") ui.accepted(upload);
    else if (upload.status === "rejected") ui.state("rejected", "Rejected: " + (upload.reason ? upload.reason.message : "refused"));
    else ui.state("checking", "Uploaded. Checking the file…");
  }

  async function poll(ui, id) {
    const started = Date.now();
    let delay = 400;
    while (Date.now() - started < POLL_LIMIT_MS) {
      let upload;
      try {
        upload = await api("GET", "/uploads/" + encodeURIComponent(id));
      } catch (e) {
        upload = { status: "pending" }; // a blip while checking: ask again
      }
      show(ui, upload);
      if (upload.status !== "pending") return;
      await sleep(delay);
      delay = Math.min(delay * 1.5, 3000);
    }
    ui.state("checking", "Still being checked. Reload the page later to see the outcome.");
  }

  async function sendInline(file, ui) {
    const form = new FormData();
    form.append("file", file, file.name);
    const xhr = await request("POST", base + "/uploads", {
      body: form, headers: authHeaders(), onProgress: (l, t) => ui.progress(l / t),
    });
    if (xhr.status !== 201) throw apiError(xhr);
    ui.progress(1);
    const upload = parse(xhr);
    show(ui, upload);
    // MALWARE_SCANNER=guardduty: an inline upload waits for GuardDuty's verdict like any other.
    if (upload.status === "pending") await poll(ui, upload.id);
  }

  async function sendSingle(file, up, ui) {
    let xhr;
    const onProgress = (l, t) => ui.progress(l / t);
    if (up.method === "POST") {
      const form = new FormData();
      Object.entries(up.fields).forEach(([k, v]) => form.append(k, v));
      form.append("file", file);
      xhr = await request("POST", up.url, { body: form, onProgress });
    } else {
      xhr = await request("PUT", up.url, { body: file, headers: up.headers, onProgress });
    }
    if (xhr.status < 200 || xhr.status >= 300) throw storageError(xhr, "the file");
  }

  async function sendMultipart(file, id, up, ui) {
    const partSize = up.part_size;
    const count = up.part_count || Math.max(1, Math.ceil(file.size / partSize));
    const urls = new Map(up.parts.map((p) => [p.part_number, p]));
    const loaded = new Array(count + 1).fill(0);
    const report = () => ui.progress(loaded.reduce((a, b) => a + b, 0) / file.size);
    let signing = null;

    async function signed(n) {
      while (!urls.has(n)) {
        if (!signing) {
          const numbers = [];
          for (let i = n; i <= count && numbers.length < SIGN_BATCH; i++) if (!urls.has(i)) numbers.push(i);
          signing = api("POST", "/uploads/" + encodeURIComponent(id) + "/parts", { part_numbers: numbers })
            .then((answer) => answer.parts.forEach((p) => urls.set(p.part_number, p)))
            .finally(() => { signing = null; });
        }
        await signing;
      }
      return urls.get(n);
    }

    async function sendPart(n) {
      const start = (n - 1) * partSize;
      const blob = file.slice(start, Math.min(start + partSize, file.size));
      for (let attempt = 1; ; attempt++) {
        try {
          const part = await signed(n);
          const xhr = await request("PUT", part.url, {
            body: blob, headers: part.headers || {}, onProgress: (l) => { loaded[n] = l; report(); },
          });
          if (xhr.status === 403) urls.delete(n); // expired: sign it again
          if (xhr.status < 200 || xhr.status >= 300) throw storageError(xhr, "part " + n);
          const etag = xhr.getResponseHeader("ETag");
          if (!etag) {
            throw new UploadFailure("Storage did not let this page read the ETag of part " + n +
              " (the bucket's CORS rule must expose the ETag header)", { fatal: true });
          }
          loaded[n] = blob.size;
          report();
          return { part_number: n, etag };
        } catch (e) {
          loaded[n] = 0;
          report();
          if (e.fatal || e.rejected || attempt >= PART_TRIES) throw e;
          await sleep(500 * attempt);
        }
      }
    }

    const done = [];
    let next = 1;
    let failure = null;
    async function worker() {
      while (next <= count && !failure) {
        const n = next++;
        try {
          done.push(await sendPart(n));
        } catch (e) {
          failure = failure || e;
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
    if (failure) throw failure;
    done.sort((a, b) => a.part_number - b.part_number);
    await api("POST", "/uploads/" + encodeURIComponent(id) + "/complete", { parts: done });
  }

  async function upload(file) {
    const ui = row(file);
    let id = null;
    try {
      if (file.size > 0 && file.size <= inlineMax - INLINE_SLACK) {
        ui.state("uploading", "Uploading…");
        return await sendInline(file, ui);
      }
      const created = await api("POST", "/uploads", {
        filename: file.name, size: file.size, content_type: file.type || undefined,
      });
      id = created.id;
      ui.state("uploading", "Uploading…");
      if (created.upload.method === "multipart") await sendMultipart(file, id, created.upload, ui);
      else await sendSingle(file, created.upload, ui);
      ui.progress(1);
      id = null; // delivered: from here on the service owns it
      ui.state("checking", "Uploaded. Checking the file…");
      await poll(ui, created.id);
    } catch (e) {
      if (e.rejected) ui.state("rejected", "Rejected: " + e.message);
      else ui.state("failed", "Upload failed: " + e.message);
      if (id) request("DELETE", base + "/uploads/" + encodeURIComponent(id)).catch(() => {});
    }
  }

  const take = (files) => Array.from(files).forEach(upload);

  picker.addEventListener("change", () => { take(picker.files); picker.value = ""; });
  drop.addEventListener("click", (e) => { if (e.target !== picker) picker.click(); });
  drop.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); picker.click(); }
  });
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => {
    e.preventDefault();
    drop.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => {
    e.preventDefault();
    drop.classList.remove("over");
  }));
  drop.addEventListener("drop", (e) => { if (e.dataTransfer) take(e.dataTransfer.files); });
  // A file dropped beside the zone would make the browser navigate away to it.
  ["dragover", "drop"].forEach((t) => window.addEventListener(t, (e) => e.preventDefault()));
})();
