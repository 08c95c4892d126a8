"""multipart/form-data written by hand, for what the test client will not send.

The test client strips directories from file names, always writes ``filename="..."`` and never
sends an empty file part. Browsers and other clients do all of that differently: a form with no
file chosen sends ``filename=""`` and no bytes; some clients send ``filename*=UTF-8''...``
(RFC 5987); any client can claim any Content-Type.
"""

BOUNDARY = "----reliabilityboundary9f8e7d6c5b4a"


def part(name, value):
    return f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()


def file_part(name, content, filename=None, filename_star=None, content_type="application/octet-stream"):
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    if filename_star is not None:
        disposition += f"; filename*={filename_star}"
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\nContent-Type: {content_type}\r\n\r\n"
    return head.encode("utf-8", "surrogateescape") + content + b"\r\n"


def body(fields=(), files=()):
    """``fields``: (name, value) pairs; ``files``: dicts of file_part() arguments."""
    chunks = [part(name, value) for name, value in fields]
    chunks += [file_part(**spec) for spec in files]
    chunks.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(chunks)


def post(client, url, fields=(), files=()):
    return client.post(url, body(fields, files), content_type=f"multipart/form-data; boundary={BOUNDARY}")
