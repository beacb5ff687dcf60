// Bundled by esbuild at test time (tests/browser/conftest.py) into uppy-bundle.js.
// A frontend as Uppy's docs write it: @uppy/core with @uppy/aws-s3 pointed at this
// service as its Companion endpoint. The test picks files, then calls window.uploadPicked().
import Uppy from "@uppy/core";
import AwsS3 from "@uppy/aws-s3";

const params = new URLSearchParams(location.search);
const MiB = 1024 * 1024;
const threshold = Number(params.get("multipart_threshold") || 100 * MiB);
// AUTH_MODE=jwt: the token comes in the fragment (never sent to a server, so never logged).
// @uppy/aws-s3 6.3.1 has no companionHeaders: its Companion client (s3-client/CompanionS3.js)
// calls plain fetch() with no way to add a header. A frontend adds the token the way this
// harness does: a fetch wrapper that sets Authorization on requests to the API's origin only
// (S3's presigned URLs never see it; Uppy sends those with XHR anyway).
const token = new URLSearchParams(location.hash.slice(1)).get("token");
if (token) {
  const apiOrigin = new URL(params.get("endpoint")).origin;
  const plainFetch = window.fetch.bind(window);
  window.fetch = (input, init = {}) => {
    const url = new URL(typeof input === "string" ? input : input.url, location.href);
    if (url.origin !== apiOrigin) return plainFetch(input, init);
    const headers = new Headers(init.headers || (typeof input === "string" ? {} : input.headers));
    headers.set("Authorization", `Bearer ${token}`);
    return plainFetch(input, { ...init, headers });
  };
}

const uppy = new Uppy({ autoProceed: false });
uppy.use(AwsS3, {
  companionEndpoint: params.get("endpoint"),
  shouldUseMultipart: (file) => (file.size || 0) >= threshold,
  getChunkSize: () => 5 * MiB,
});

const log = document.getElementById("log");
window.uppyEvents = [];
function record(event) {
  window.uppyEvents.push(event);
  log.textContent += JSON.stringify(event) + "\n";
}
uppy.on("upload-progress", (file, progress) => {
  record({ type: "progress", name: file.name, uploaded: progress.bytesUploaded, total: progress.bytesTotal });
});
uppy.on("upload-success", (file, response) => {
  record({ type: "success", name: file.name, location: response.uploadURL, key: response.body && response.body.key });
});
uppy.on("s3-multipart:part-uploaded", (file, part) => {
  record({ type: "part", name: file.name, part: part.PartNumber || part.partNumber, etag: part.ETag || part.etag });
});
uppy.on("upload-error", (file, error) => {
  record({ type: "error", name: file.name, message: String(error && error.message) });
});

window.uploadPicked = () => new Promise((resolve) => {
  uppy.once("complete", (result) => {
    const summary = (f) => ({
      name: f.name,
      size: f.size,
      parts: window.uppyEvents.filter((e) => e.type === "part" && e.name === f.name).length,
      key: f.response && f.response.body ? f.response.body.key : null,
      location: f.response ? f.response.uploadURL : null,
      error: f.error ? String(f.error) : null,
    });
    resolve({ successful: (result.successful || []).map(summary), failed: (result.failed || []).map(summary) });
  });
  for (const file of document.getElementById("files").files) {
    uppy.addFile({ name: file.name, type: file.type, data: file, source: "test" });
  }
  uppy.upload();
});
