#!/usr/bin/env python3
"""A mask step in Python (standard library only) that joins Organa through the gateway's configuration.

It implements the mask-step contract (api/mask-step.openapi.json):
  PUT /internal/v1/tasks/{taskId}  body TaskRequest -> 202 TaskStatus (a known id answers its status)
  GET /internal/v1/tasks/{taskId}  -> 200 TaskStatus, 404 for an unknown task (the long-poll parameters
      `after` and `wait` are accepted and ignored: this step answers at once, as the contract allows)
  DELETE /internal/v1/tasks/{taskId} -> stops a running task before it writes (200 once it has ended), 404 unknown
It verifies the gateway's HMAC signature, reads the corrected label map by storage key from the shared object
store, counts each label's voxels and writes `<outputPrefix>structure_volumes.json` (atomically), announced as
an `artifact` event.

    ORGANA_INTERNAL_SECRET=... ORGANA_STORE=/var/lib/organa python3 structure_volumes.py --port 0
    organa serve gateway ... --mask-step volumes=http://127.0.0.1:PORT
"""
import argparse
import gzip
import hashlib
import hmac
import json
import os
import re
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAMES = {1: "kidney", 2: "tumor", 3: "artery", 4: "vein", 5: "ureter"}
KEY = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
TASKS = {}
CANCELLED = set()
LOCK = threading.Lock()


def path_of(root, key):
    if not KEY.match(key) or any(part in (".", "..") for part in key.split("/")):
        raise ValueError(f"invalid storage key {key!r}")
    return os.path.join(root, key)


def read_uint8_nifti(path):
    """Voxel counts per label and the voxel volume (mm^3) of a NIfTI-1 uint8 label map."""
    data = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
    endian = "<" if struct.unpack("<i", data[:4])[0] == 348 else ">"
    dims = struct.unpack(endian + "8h", data[40:56])
    datatype = struct.unpack(endian + "h", data[70:72])[0]
    pixdim = struct.unpack(endian + "8f", data[76:108])
    offset = int(struct.unpack(endian + "f", data[108:112])[0])
    if datatype != 2:
        raise ValueError(f"label map datatype {datatype} is not uint8")
    count = dims[1] * dims[2] * dims[3]
    voxels = data[offset:offset + count]
    histogram = [0] * 256
    for value in voxels:
        histogram[value] += 1
    return histogram, abs(pixdim[1] * pixdim[2] * pixdim[3])


def run_task(task_id, request, root):
    def emit(event):
        with LOCK:
            TASKS[task_id]["events"].append(event)

    try:
        histogram, voxel_mm3 = read_uint8_nifti(path_of(root, request["inputs"]["labels"]))
        result = {
            NAMES.get(label, str(label)): {"voxels": histogram[label], "volumeML": histogram[label] * voxel_mm3 / 1000}
            for label in range(1, 256) if histogram[label]
        }
        key = request["outputPrefix"] + "structure_volumes.json"
        with LOCK:
            if task_id in CANCELLED:  # deleted while counting: write nothing
                TASKS[task_id]["state"] = "cancelled"
                return
        target = path_of(root, key)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        temporary = target + f".{os.getpid()}.partial"
        with open(temporary, "w") as out:
            json.dump(result, out, sort_keys=True)
        os.replace(temporary, target)
        emit({"type": "artifact", "artifact": {"kind": "report", "key": key}})
        with LOCK:
            TASKS[task_id]["state"] = "done"
    except Exception as error:  # the task fails; the gateway fails the job with this message
        with LOCK:
            TASKS[task_id].update(state="failed", error=str(error), errorCode="failed")


class Handler(BaseHTTPRequestHandler):
    secret = b""
    root = ""

    def answer(self, status, body):
        payload = json.dumps(body, sort_keys=True).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def verified_body(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        stamp = self.headers.get("X-Organa-Timestamp") or ""
        given = (self.headers.get("X-Organa-Signature") or "").lower()
        text = f"{self.command}\n{self.path}\n{stamp}\n{hashlib.sha256(body).hexdigest()}".encode()
        expected = hmac.new(self.secret, text, hashlib.sha256).hexdigest()
        fresh = stamp.isdigit() and abs(time.time() - int(stamp)) <= 300
        if not fresh or not hmac.compare_digest(expected, given):
            self.answer(403, {"error": {"code": "forbidden", "message": "not signed by the gateway"}})
            return None
        return body

    def task_id(self):
        # The signature covers the query (`?after=…&wait=…`); the route does not.
        match = re.fullmatch(r"/internal/v1/tasks/([A-Za-z0-9._-]+)", self.path.split("?", 1)[0])
        return match.group(1) if match else None

    def do_GET(self):
        if self.path in ("/health", "/ready"):
            return self.answer(200, {"status": "ok"})
        task_id = self.task_id()
        if task_id is None or self.verified_body() is None:
            return None if task_id else self.answer(404, {"error": {"code": "notFound", "message": self.path}})
        with LOCK:
            status = json.loads(json.dumps(TASKS.get(task_id))) if task_id in TASKS else None
        if status is None:
            return self.answer(404, {"error": {"code": "notFound", "message": f"no task {task_id}"}})
        self.answer(200, status)

    def do_PUT(self):
        task_id = self.task_id()
        if task_id is None:
            return self.answer(404, {"error": {"code": "notFound", "message": self.path}})
        body = self.verified_body()
        if body is None:
            return None
        try:
            request = json.loads(body)
            path_of(self.root, request["inputs"]["labels"])
            path_of(self.root, request["outputPrefix"].rstrip("/"))
        except (ValueError, KeyError, TypeError) as error:
            return self.answer(400, {"error": {"code": "badRequest", "message": str(error)}})
        with LOCK:
            known = task_id in TASKS
            if not known:
                TASKS[task_id] = {"taskID": task_id, "state": "running", "events": []}
            status = json.loads(json.dumps(TASKS[task_id]))
        if not known:
            threading.Thread(target=run_task, args=(task_id, request, self.root), daemon=True).start()
        self.answer(202, status)

    def do_DELETE(self):
        task_id = self.task_id()
        if task_id is None or self.verified_body() is None:
            return None if task_id else self.answer(404, {"error": {"code": "notFound", "message": self.path}})
        deadline = time.time() + 10
        while True:
            with LOCK:
                if task_id not in TASKS:
                    return self.answer(404, {"error": {"code": "notFound", "message": f"no task {task_id}"}})
                if TASKS[task_id]["state"] == "running":
                    CANCELLED.add(task_id)
                status = json.loads(json.dumps(TASKS[task_id]))
            if status["state"] != "running" or time.time() > deadline:
                return self.answer(202 if status["state"] == "running" else 200, status)
            time.sleep(0.01)

    def log_message(self, format, *args):
        sys.stderr.write("structure_volumes: " + format % args + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--store", default=os.environ.get("ORGANA_STORE"))
    arguments = parser.parse_args()
    Handler.secret = os.environ["ORGANA_INTERNAL_SECRET"].encode()
    Handler.root = arguments.store
    server = ThreadingHTTPServer((arguments.host, arguments.port), Handler)
    print(f"organa structure-volumes listening on http://{arguments.host}:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
