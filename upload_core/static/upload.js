"use strict";
(function () {
  const base = document.body.dataset.base || "";
  const inlineMax = Number(document.body.dataset.inlineMax || 0);
  const list = document.getElementById("files");
  const drop = document.getElementById("drop");
  const picker = document.getElementById("picker");

  function send(method, url, body, headers, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      Object.entries(headers || {}).forEach(([k, v]) => xhr.setRequestHeader(k, v));
      if (onProgress) xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
      xhr.onload = () => resolve(xhr);
      xhr.onerror = () => reject(new Error("network error"));
      xhr.send(body);
    });
  }
  const json = (xhr) => { try { return JSON.parse(xhr.responseText); } catch (e) { return {}; } };

  function row(file) {
    const li = document.createElement("li");
    li.innerHTML = '<div class="row"><span class="name"></span><span class="status">waiting</span></div>' +
      '<progress max="1" value="0"></progress>';
    li.querySelector(".name").textContent = file.name;
    list.appendChild(li);
    return {
      progress: (f) => { li.querySelector("progress").value = f; },
      status: (text, cls, href) => {
        const s = li.querySelector(".status");
        s.className = "status " + (cls || "");
        s.textContent = text;
        if (href) { const a = document.createElement("a"); a.href = href; a.textContent = " download"; s.appendChild(a); }
      },
    };
  }

  function show(ui, upload) {
    if (upload.status === "accepted") ui.status("accepted", "accepted", base + "/uploads/" + upload.id + "/content");
    else if (upload.status === "rejected") ui.status("rejected: " + upload.reason.message, "rejected");
    else ui.status("checking…");
  }

  async function poll(ui, id) {
    for (let i = 0; i < 120; i++) {
      const upload = json(await send("GET", base + "/uploads/" + id));
      show(ui, upload);
      if (upload.status !== "pending") return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  async function upload(file) {
    const ui = row(file);
    try {
      if (file.size <= inlineMax - 4096) {
        const form = new FormData();
        form.append("file", file, file.name);
        const xhr = await send("POST", base + "/uploads", form, {}, ui.progress);
        const body = json(xhr);
        if (xhr.status !== 201) return ui.status(body.error ? body.error.message : "failed", "error");
        ui.progress(1);
        return show(ui, body);
      }
      const created = await send("POST", base + "/uploads",
        JSON.stringify({ filename: file.name, size: file.size, content_type: file.type || undefined }),
        { "Content-Type": "application/json" });
      const body = json(created);
      if (created.status !== 201) return ui.status(body.error ? body.error.message : "failed", "error");
      const up = body.upload;
      let sent;
      if (up.method === "POST") {
        const form = new FormData();
        Object.entries(up.fields).forEach(([k, v]) => form.append(k, v));
        form.append("file", file);
        sent = await send("POST", up.url, form, {}, ui.progress);
      } else {
        sent = await send("PUT", up.url, file, up.headers, ui.progress);
      }
      if (sent.status >= 300) return ui.status("upload to storage failed (" + sent.status + ")", "error");
      ui.progress(1);
      ui.status("checking…");
      await poll(ui, body.id);
    } catch (e) {
      ui.status(e.message, "error");
    }
  }

  const take = (files) => Array.from(files).forEach(upload);
  picker.addEventListener("change", () => { take(picker.files); picker.value = ""; });
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); picker.click(); } });
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (e) => take(e.dataTransfer.files));
})();
