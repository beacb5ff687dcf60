"""Names, ids and keys.

The client's filename is kept for people (made safe, still readable) and never used
to build an object key: keys come from a random id only. Still, the name travels on
(Content-Disposition, a user's Downloads folder, a web server someone copies files to),
so it is made harmless there too. The rule, in order:

1. NFC; only the last path segment (either separator); control, format (bidi
   overrides, zero-width), private-use and unassigned characters dropped; `<>:"|?*\\/`
   become `_`; runs of whitespace become one space; leading and trailing dots and spaces
   go. A character whose compatibility form holds a dot (fullwidth `．`, `․`, `﹒`, `…`)
   becomes that form, so every dot a reader could see is a dot the rule sees.
2. Windows device names (CON, PRN, AUX, NUL, COM0-9, LPT0-9, with superscript digits,
   CLOCK$, CONIN$, CONOUT$) are reserved before ANY dot, as Windows treats them:
   `con.foo.png` opens the console. So every leading dot-separated segment that is a
   device name (ignoring case and trailing spaces) is removed: `con.foo.png` ->
   `foo.png`, `LPT1.tar.png` -> `tar.png`; `CON.pdf` has no stem left and is refused.
3. Only the last extension counts (it is what the allow-list checked). An inner segment
   that a server would run or a desktop would open (`x.php.png`: Apache's mod_mime runs
   it as PHP; `.exe`, `.html`, `.js`, `.svg`...; see _DANGEROUS) loses its dot:
   `x.php.png` -> `x_php.png`. Harmless inner dots stay (`photo.final.png`).
4. Nothing word-like left -> invalid_filename; the stem is cut (never the extension)
   to MAX_NAME_BYTES of UTF-8 on a character boundary.

Rules 2 and 3 compare each segment in its NFKC form, case-folded, up to the first `;`:
the stored name keeps what the client wrote in NFC (`отчёт.pdf`, `報告書（２０２６）.pdf`
stay as they are), but `report.ｐｈｐ.png` is judged as `report.php.png` (the ASCII
fallback of Content-Disposition, made by compatibility decomposition, and Windows'
best-fit mapping both turn fullwidth letters into ASCII), and `shell.asp;.jpg` as
`shell.asp` (IIS 6 stops reading a name at `;`). `content_disposition` applies rule 3
again to the ASCII fallback it builds, so a fallback can never restore what the rule
removed, whatever name it is given (records written before this rule included).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from urllib.parse import quote

from ..errors import BadRequest

MAX_NAME_BYTES = 255
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
_WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|clock\$|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$", re.I)
# Inner extensions that some server runs or some desktop opens as code or markup.
# Checked against what each server maps by default or in its common setups: Apache mod_mime
# and mod_php (php, php3-8, phtml, pht, phar, phps, pgif and phpt in some distributions'
# handlers, inc), SSI (shtml, shtm, stm), IIS (asp, aspx, asa, cer, cdx, ashx, asmx, ascx,
# asax, axd, config, soap, rem, svc, idc, htr, cshtml, vbhtml, xamlx), nginx + PHP-FPM
# (whatever matches `\.php`, the same list), Java servlet containers (jsp, jspx, jspf,
# jsw, jsv, jtml), ColdFusion (cfm, cfml, cfc), CGI (cgi, fcgi, pl, py, rb, wsgi), and what
# a desktop runs or a browser renders (exe ... hta, htm, html, mht, mhtml, svg, xml, ...).
_DANGEROUS = frozenset(
    """php php2 php3 php4 php5 php6 php7 php8 phtml phtm pht phar phps phpt pgif inc shtml shtm stm
    asp aspx asa ashx asmx ascx asax axd cer cdx config soap rem svc idc htr cshtml vbhtml xamlx
    jsp jspx jspf jsw jsv jtml jsf cfm cfml cfc cgi fcgi pl pm py pyc wsgi rb erb rhtml sh bash zsh
    ksh csh exe com bat cmd msi msp mst scr pif dll cpl sys drv ocx vb vbs vbe js jse mjs cjs ws
    wsf wsc wsh hta htm html xht xhtml mht mhtml svg svgz xml xsl xslt jar war class ps1 psm1 psd1
    lnk url reg inf msc scf application gadget appref-ms settingcontent-ms app apk deb rpm dmg swf
    htaccess htpasswd""".split()
)
# Characters that are separators or mean something to a shell, a URL or Windows.
_UNSAFE_CHARS = re.compile(r'[<>:"|?*\\/]')
# Control (Cc), format (Cf: bidi overrides, zero-width joiners), surrogates, private
# use, unassigned, line and paragraph separators.
_DROP_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
# Characters other than `.` whose NFKC form holds a dot (fullwidth and small full stops,
# one and two dot leaders, the ellipsis, the "digit full stop" signs).
_DOT_LIKE = re.compile(
    "[\u2024\u2025\u2026\u2488-\u249b\u33c2\u33c7\u33d8\ufe19\ufe30\ufe52\uff0e\U0001f100]"
)  # the list is computed from unicodedata in tests/unit/test_naming.py (90 ms: not at import)


def new_id() -> str:
    """128 random bits, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


def is_valid_id(value: str) -> bool:
    return bool(_ID_RE.match(value))


def sanitize_filename(raw: str | None) -> str:
    """Make a client's filename safe to store and show, keeping it readable.

    Raises BadRequest(empty_filename) for an empty name and BadRequest(invalid_filename)
    when nothing usable is left.
    """
    if raw is None or not raw.strip():
        raise BadRequest("empty_filename", "The file has no name")
    name = unicodedata.normalize("NFC", raw)
    # Only the last path segment, whichever separator the client's OS uses.
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in _DROP_CATEGORIES)
    name = _DOT_LIKE.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), name)
    name = _UNSAFE_CHARS.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip()
    name = name.lstrip(". ").rstrip(". ")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = _neutralized(stem)
    if not stem or not re.search(r"\w", stem):
        raise BadRequest("invalid_filename", f"Nothing usable is left of the filename {raw[:100]!r}")
    name = _bounded(stem, "." + ext if dot else "")
    return name


def _neutralized(stem: str) -> str:
    """Rules 2 and 3 of the module docstring: leading device-name segments removed, the
    dot before a dangerous inner extension replaced by `_`."""
    segments = stem.split(".")
    while segments and _WINDOWS_RESERVED.match(_folded(segments[0])):
        segments.pop(0)
    if not segments:
        return ""
    out = segments[0]
    for segment in segments[1:]:
        out += ("_" if _folded(segment.split(";", 1)[0]) in _DANGEROUS else ".") + segment
    return out.strip().strip(". ")


def _folded(segment: str) -> str:
    """What a segment means to a server, a shell or Windows' best-fit mapping: its NFKC
    form, case-folded, without the spaces Windows ignores."""
    return unicodedata.normalize("NFKC", segment).strip().casefold()


def _bounded(stem: str, suffix: str) -> str:
    """Cut the stem (never the extension) so the name fits MAX_NAME_BYTES of UTF-8."""
    suffix = suffix[:32]
    budget = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    encoded = stem.encode("utf-8")
    if len(encoded) > budget:
        stem = encoded[:budget].decode("utf-8", "ignore").rstrip(". ")
    return stem + suffix


def extension_of(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def content_disposition(name: str) -> str:
    """RFC 6266 attachment header: an ASCII fallback plus the UTF-8 name in filename*."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    # Rule 3 again, on the ASCII form: the fallback never restores an inner extension.
    stem = _neutralized(_ascii(stem)) or "download"
    fallback = stem + ("." + _ascii(ext) if ext else "")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9._ ()-]", "_", text).strip(" _")
