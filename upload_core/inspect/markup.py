"""What a browser or a PHP include() could act on, looked for in an image's text.

"Text" is every byte of an image that is not compressed pixel data (reader.py decides which
bytes that is, scan.py scans them): chunk and segment headers and payloads of any type,
palettes, metadata, embedded thumbnails' headers. PHP's include() and a browser sniffing
HTML read the raw bytes, so the raw bytes are scanned, not a decoder's idea of them; text a
metadata reader joins or inflates (GIF comment sub-blocks, PNG zTXt/iTXt) is scanned as
well, joined or inflated.

What counts as markup (`find_markup`), chosen so that it also holds in binary metadata,
where random bytes (an ICC curve, a palette, a thumbnail) must not trip it: each rule needs
bytes that chance rarely lines up, in random bytes and in random printable ones:
- a tag that runs or loads something: `<script`, `<svg`, `<iframe`, `<object`, `<meta`,
  `<!DOCTYPE`, ... followed by whitespace, `/` or `>`;
- an event handler inside a tag: `on` and the name of any event a browser dispatches
  (`onload`, `ontoggle`, `onpointerenter`, `onanimationstart`, `onbegin`, ...), `=`, after
  whitespace, `/` or a quote, in a tag that starts in the 4 KiB before it (`<`, a name,
  whitespace or `/`) and that no `>` outside quotes closes before it, as a browser's
  tokenizer reads it;
- PHP: `<?php`, or `<?=` or `<?` (a short open tag, on by PHP's compiled default) followed
  by code that does something: a command in backticks, a variable that is called or
  assigned or a superglobal, a function or construct from a list of what runs, reads,
  writes or decodes (`system`, `eval`, `include`, `echo`, `base64_decode`, ...), or a
  function name built from strings; comments, whitespace and `@(!~[` may come between;
- ASP and JSP: `<%` (`<%=`, `<%@`) followed by their objects, statements or directives
  (`Response`, `Request`, `Server`, `eval`, `Execute`, `CreateObject`, `page`, `Runtime`, ...).
  Opener and code, not an opener and printable text: a dark palette or a quantization
  table is mostly printable bytes, where `<?` and `<%` turn up by chance (1 in 9,000);
- `javascript:`, `vbscript:` and `data:text/html` URLs;
- server and edge side includes: `<!--#exec`, `<!--#include`, ..., `<esi:`.
Each is also looked for in UTF-16 text (the bytes with their NULs dropped).
"""

from __future__ import annotations

import re

from .base import unsafe

# XML processing instructions honest metadata carries: none of them can be PHP code.
_XML_PI = rb"(?:xpacket\s+(?:begin|end)|xml\s+version|adobe-xap-filters\s+esc)\s*="
_TAGS = (
    rb"script|html|head|body|i?frame|frameset|svg|math|object|embed|applet|meta|base|link|style|form|xmp"
    rb"|template|isindex|!doctype|!entity"
)
# What may come between a PHP or ASP opener and its code: whitespace, comments, and the
# operators an expression can start with (`@system(...)`, `(system)(...)`).
_PREFIX = rb"(?:\s|/\*.{0,64}?\*/|#[^\n]{0,64}\n|//[^\n]{0,64}\n|[@(!~\[])*"
# PHP code that does something: a shell command in backticks, a variable that is called,
# assigned or a superglobal, a function or construct that runs, reads, writes or decodes,
# or a function name built from strings ("sys"."tem").
_PHP_CALLS = (
    rb"system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|eval|assert|include|include_once|require"
    rb"|require_once|echo|print|printf|print_r|var_dump|die|exit|file_put_contents|file_get_contents|fwrite"
    rb"|fputs|fopen|readfile|highlight_file|show_source|unlink|copy|rename|symlink|chmod|mkdir"
    rb"|move_uploaded_file|mail|header|phpinfo|base64_decode|gzinflate|gzuncompress|str_rot13|hex2bin"
    rb"|create_function|call_user_func|call_user_func_array|array_map|array_filter|array_walk|usort"
    rb"|preg_replace|extract|parse_str|putenv|ini_set|set_time_limit|curl_exec|fsockopen|pfsockopen"
    rb"|stream_socket_client|socket_create|register_shutdown_function|new|return|function|class|define"
    rb"|foreach|while|for|goto|__halt_compiler"
)
_PHP_CODE = (
    rb"(?:\$(?:_[a-z]|\{|[a-z_]\w{0,30}\s*(?:\(\s*[\"'$`]|=\s*[\"'$`]))|(?:" + _PHP_CALLS + rb")\b"
    rb"|[\"'][a-z_]{1,32}[\"']\s*\.\s*[\"'])"
)
# ASP (VBScript, JScript) and JSP: their objects, statements and directives.
_ASP_CODE = (
    rb"(?:response|request|server|session|application|eval|execute|executeglobal|createobject|getobject"
    rb"|wscript|dim|page|include|taglib|out\.print|runtime|process|java\.|system\.)\b"
)
# On lower-cased bytes (so the search can start from the literal `<`, ~10x faster than re.I).
_OPENER = re.compile(
    rb"<(?:(?:" + _TAGS + rb")[\s/>]"
    rb"|!--\#(?:exec|include|echo|config|set|printenv|fsize|flastmod)\b|esi:"  # server and edge side includes
    rb"|\?(?!" + _XML_PI + rb")(?:php\s|=" + _PREFIX + rb"(?:`|" + _PHP_CODE + rb")"
    rb"|" + _PREFIX + rb"(?:`[a-z.~/][^`\n]{0,127}`\s*(?:;|\?>)|" + _PHP_CODE + rb"))"
    rb"|%[=@!#:]?\s*" + _ASP_CODE + rb")"
)
# Event handler attributes, by the families of event names browsers dispatch (HTML's
# global, window and document handlers, pointer, touch, animation and transition events,
# SVG's begin/end/repeat/zoom, vendor-prefixed ones): every handler a browser runs, and
# not `on` followed by any letters, which random printable bytes spell once a MiB.
_HANDLER_NAMES = (
    rb"abort|activate|after|animation|auxclick|before|begin|blur|bounce|can|change|click|close|command|content"
    rb"|context|copy|cue|cut|dblclick|deactivate|drag|drop|duration|emptied|end|error|finish|focus|form"
    rb"|fullscreen|gesture|gotpointer|hashchange|help|input|invalid|key|language|load|lostpointer|message|mouse"
    rb"|moz|ms|offline|online|orientation|page|paste|pause|play|pointer|popstate|progress|propertychange"
    rb"|ratechange|readystatechange|rejectionhandled|repeat|reset|resize|scroll|search|securitypolicy|seek"
    rb"|select|show|slotchange|stalled|start|storage|submit|suspend|timeupdate|toggle|touch|transition"
    rb"|unhandledrejection|unload|visibilitychange|volumechange|waiting|webkit|wheel|zoom"
)
_HANDLER = re.compile(rb"on[a-z]{3,}\s*=")  # a candidate (fast: a literal first), then its name
_HANDLER_NAME = re.compile(rb"on(?:" + _HANDLER_NAMES + rb")")
_TAG_START = re.compile(rb"<[a-z][^\s/>\x00]{0,64}[\s/]")  # a tag's name, ended as a tokenizer ends it
_ATTRIBUTES = re.compile(rb"(?:[^>\"']|\"[^\"]*\"|'[^']*')*")  # no `>` outside quoted values
_TAG_TRIES = 16
HANDLER_LOOKBACK = 4096
_MATCH_AT = re.compile(rb".{0,40}", re.S)  # a match object at a known offset, for the message
_PRINTABLE = re.compile(rb"[\t\n\r\x20-\x7e]*")
_SCRIPT_URL = re.compile(rb"script\s*:")
_DATA_URL = re.compile(rb"data\s*:\s*$")
# Markup in UTF-16 has `<` or `:` next to a NUL (every rule needs one of them).
_UTF16_HINTS = (b"<\0", b"\0<", b":\0", b"\0:")


def _handler(low: bytes) -> re.Match[bytes] | None:
    """An event handler inside a tag, as a browser's tokenizer reads one: a tag's name,
    then attributes (quoted values may hold `>`) up to the handler, no `>` outside quotes."""
    for found in _HANDLER.finditer(low):
        at = found.start()
        if at == 0 or low[at - 1] not in b" \t\n\r\f/\"'" or not _HANDLER_NAME.match(low, at):
            continue
        starts = list(_TAG_START.finditer(low, max(0, at - HANDLER_LOOKBACK), at))
        for start in reversed(starts[-_TAG_TRIES:]):
            if _ATTRIBUTES.fullmatch(low, start.end(), at):
                return found
    return None


def _markup(data: bytes) -> re.Match[bytes] | None:
    low = data.lower()
    found = _OPENER.search(low)
    if found is None and b"on" in low:
        found = _handler(low)
    if found is None and b"script" in low:
        found = _script_url(low)
    if found is None and b"text/html" in low:
        found = _data_url(low)
    return found


def _script_url(low: bytes) -> re.Match[bytes] | None:
    for found in _SCRIPT_URL.finditer(low):
        at = found.start()
        if low[max(0, at - 4) : at] == b"java" or low[max(0, at - 2) : at] == b"vb":
            return _MATCH_AT.match(low, at - (4 if low[at - 4 : at] == b"java" else 2))
    return None


def _data_url(low: bytes) -> re.Match[bytes] | None:
    at = low.find(b"text/html")
    while at >= 0:
        if _DATA_URL.search(low, max(0, at - 64), at):
            return _MATCH_AT.match(low, at)
        at = low.find(b"text/html", at + 1)
    return None


def markup_at(data: bytes) -> tuple[int, str] | None:
    """Where the first markup in `data` is and what it says (40 bytes of it); also looked
    for as UTF-16 text, NULs dropped (then at the offset of the first byte of `data`)."""
    found = _markup(data)
    if found is not None:
        return found.start(), _shown(data, found)
    if b"\0" in data and (b"<" in data or b":" in data) and any(pair in data for pair in _UTF16_HINTS):
        stripped = data.replace(b"\0", b"")
        found = _markup(stripped)
        if found is not None:
            return 0, _shown(stripped, found)
    return None


def _shown(data: bytes, found: re.Match[bytes]) -> str:
    """The match and the printable text after it, up to 40 characters, for a message."""
    text = _PRINTABLE.match(data, found.end(), found.start() + 40)
    return data[found.start() : max(found.end(), text.end() if text else 0)][:40].decode("latin-1")


def find_markup(data: bytes) -> str | None:
    """The first markup found in `data` (also as UTF-16 text, NULs dropped), or None."""
    found = markup_at(data)
    return None if found is None else found[1]


def refuse_markup(data: bytes, where: str) -> None:
    shown = find_markup(data)
    if shown is not None:
        raise unsafe("markup", f"The image carries markup or script in its {where} ({shown!r})")
