// Passkeys (WebAuthn): add one on Account → Security, sign in with one on
// /login (a button, and the browser's own suggestions in the email field
// where it offers them) and at the second sign-in step.
//
// The server sends the options for navigator.credentials.create/get as
// JSON with binary values in base64url; the browser's answer goes back
// the same way. Forms: [data-passkey-register]; sign-in boxes:
// [data-passkey-signin][data-begin] with a [data-passkey-button]; messages
// go into the box's [data-passkey-message].
(function () {
  "use strict";

  var finishSignIn = "/login/passkey/finish";
  var finishRegister = "/account/passkeys/register/finish";

  function toBuffer(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toBase64url(buf) {
    var bytes = new Uint8Array(buf);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function supported() {
    return !!(window.PublicKeyCredential && navigator.credentials && navigator.credentials.create);
  }

  var messages = {
    unsupported: "This browser cannot use passkeys here. Passkeys need an up-to-date browser, and the site opened at its secure (https) address.",
    cancelled: "The passkey request was cancelled or took too long. Try again when you are ready.",
    exists: "This device already holds a passkey for your account: you can sign in with it. To add another, use a different device or security key.",
    security: "The browser refused to use a passkey for this address. Open the site at its usual address and try again.",
    notSupported: "No authenticator here can make a passkey this site accepts. Try a different device or security key.",
    server: "Something went wrong. Reload the page and try again."
  };

  function describe(err, creating) {
    if (err && err.passkeyMessage) return err.passkeyMessage;
    switch (err && err.name) {
      case "NotAllowedError": return messages.cancelled;
      case "InvalidStateError": return creating ? messages.exists : messages.cancelled;
      case "SecurityError": return messages.security;
      case "NotSupportedError": return messages.notSupported;
    }
    return messages.server;
  }

  // refused is an error carrying the server's message for people.
  function refused(data) {
    var e = new Error((data && data.error) || messages.server);
    e.passkeyMessage = (data && data.error) || messages.server;
    e.field = data && data.field;
    return e;
  }

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) throw refused(data);
        return data;
      });
    });
  }

  function creationOptions(data) {
    var o = data.publicKey;
    o.challenge = toBuffer(o.challenge);
    o.user.id = toBuffer(o.user.id);
    (o.excludeCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
    return o;
  }

  function requestOptions(data) {
    var o = data.publicKey;
    o.challenge = toBuffer(o.challenge);
    (o.allowCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
    return o;
  }

  function credentialJSON(cred) {
    var r = cred.response;
    var out = {
      id: cred.id,
      rawId: toBase64url(cred.rawId),
      type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: toBase64url(r.clientDataJSON) }
    };
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    if (r.attestationObject) {
      out.response.attestationObject = toBase64url(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = toBase64url(r.authenticatorData);
      out.response.signature = toBase64url(r.signature);
      if (r.userHandle) out.response.userHandle = toBase64url(r.userHandle);
    }
    return out;
  }

  function say(box, text) {
    var p = box.querySelector("[data-passkey-message]");
    if (!p) return;
    p.textContent = text;
    p.hidden = !text;
  }

  // Adding a passkey on the Security page.
  function register(form) {
    var button = form.querySelector("button[type=submit]");
    var password = form.elements.password;
    say(form, "");
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (f) { f.removeAttribute("aria-invalid"); });
    if (!supported()) {
      say(form, messages.unsupported);
      return;
    }
    button.disabled = true;
    postJSON(form.action, { name: form.elements.name.value, password: password ? password.value : "" })
      .then(function (data) {
        return navigator.credentials.create({ publicKey: creationOptions(data) });
      })
      .then(function (cred) {
        if (!cred) throw new Error("no credential");
        return postJSON(finishRegister, credentialJSON(cred));
      })
      .then(function (data) {
        window.location.assign(data.redirect || "/account/security");
      })
      .catch(function (err) {
        button.disabled = false;
        say(form, describe(err, true));
        var field = err.field && form.elements[err.field];
        if (field) {
          field.setAttribute("aria-invalid", "true");
          field.focus();
        }
      });
  }

  function abortError() {
    var e = new Error("aborted");
    e.name = "AbortError";
    return e;
  }

  // Signing in: modal when the button is pressed, conditional (the
  // browser's suggestions in the email field) when the page opens.
  function signIn(box, conditional) {
    if (!supported()) {
      if (!conditional) say(box, messages.unsupported);
      return;
    }
    if (box.passkeyAbort) box.passkeyAbort.abort();
    var abort = new AbortController();
    box.passkeyAbort = abort;
    var button = box.querySelector("[data-passkey-button]");
    if (!conditional) {
      say(box, "");
      button.disabled = true;
    }
    // One begin request at a time: the server keeps one request per
    // browser, and the last one begun must be the one answered.
    var begun = (box.passkeyPending || Promise.resolve()).then(function () {
      if (abort.signal.aborted) throw abortError();
      return postJSON(box.getAttribute("data-begin"), { next: box.getAttribute("data-next") || "" });
    });
    box.passkeyPending = begun.catch(function () {});
    begun
      .then(function (data) {
        if (abort.signal.aborted) throw abortError();
        var req = { publicKey: requestOptions(data), signal: abort.signal };
        if (conditional) req.mediation = "conditional";
        return navigator.credentials.get(req);
      })
      .then(function (cred) {
        if (!cred) throw new Error("no credential");
        return postJSON(finishSignIn, credentialJSON(cred));
      })
      .then(function (data) {
        window.location.assign(data.redirect || "/");
      })
      .catch(function (err) {
        if (abort.signal.aborted || (err && err.name === "AbortError")) return;
        if (!conditional) button.disabled = false;
        if (conditional && !err.passkeyMessage && err.name !== "SecurityError") return;
        say(box, describe(err, false));
      });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.matches || !form.matches("[data-passkey-register]")) return;
    e.preventDefault();
    register(form);
  });

  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-passkey-button]");
    if (!button) return;
    var box = button.closest("[data-passkey-signin]");
    if (box) signIn(box, false);
  });

  function startConditional() {
    var box = document.querySelector("[data-passkey-signin][data-conditional]");
    if (!box || !supported() || !PublicKeyCredential.isConditionalMediationAvailable) return;
    PublicKeyCredential.isConditionalMediationAvailable().then(function (ok) {
      if (ok && !box.passkeyAbort) signIn(box, true);
    }, function () {});
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startConditional);
  } else {
    startConditional();
  }
})();
