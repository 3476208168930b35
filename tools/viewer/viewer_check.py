#!/usr/bin/env python3
"""The web viewer in a real browser: a live gateway, headless Chromium, a phantom job, screenshots, pixel checks.

Starts `organa serve all` on 127.0.0.1 with a temporary object store, opens the viewer (GET /viewer/) in
headless Chromium (software WebGL) driven through the DevTools protocol (tools/viewer/cdp.py), and then, as a
user would, through the page's own controls:
  1. runs the bundled phantom with a wrong API key and expects the refusal in plain words;
  2. types the right key and runs the phantom (kidney, tumour, preview on), then waits for the job to finish:
     preview meshes shown then replaced by the full ones, volumes in mL, fat measurements, slice view loaded;
  3. takes screenshots (the page, the 3D view, the slice view in each of the three orientations, the 3D view
     after an orbit drag and a zoom) and checks their pixels: the mesh colours (kidney, tumour) in the 3D view,
     grey CT plus the label colours blended at the page's overlay opacity in the slice views;
  4. downloads one OBJ and then all of them through the page's buttons and checks the files;
  5. asks for the artery on the phantom's 5 mm slices and expects the 422 in plain words; uploads the phantom's
     CT as a file (preview off) and waits for that job's full kidney mesh and slice view.
Screenshots go to --out (default: a new temporary folder, printed). The result is one JSON object on stdout
(`ok`, `problems`, the figures); the exit status is 1 when any check fails.

Usage: tools/viewer/viewer_check.py --organa .build/debug/organa [--out DIR] [--readme-png docs/viewer.png]
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cdp  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
API_KEY = "viewer-check-key-0123456789"
WIDTH, HEIGHT = 1200, 760
# The viewer's structure colours (app.js STRUCTURES, from Meshing's StructureStyle), 0...255.
COLORS = {"kidney": (184, 115, 89), "tumor": (217, 204, 77)}
BACKGROUND = (32, 34, 39)  # meshview.js clear colour 0.125, 0.133, 0.153
MIN_MESH_PIXELS = 400  # kidney pixels in the 3D view
MIN_TUMOR_PIXELS = 100  # tumour pixels in the 3D view with the kidney hidden (a small tumour: a few mL)
MIN_OVERLAY_PIXELS = 20  # per structure and slice orientation
MIN_CT_PIXELS = 2000  # grey CT pixels in a slice view


def start_gateway(organa, folder):
    environment = dict(os.environ)
    environment.update(
        ORGANA_INTERNAL_SECRET="viewer-check-secret-0123456789",
        ORGANA_API_KEYS=API_KEY,
        ORGANA_STORE=os.path.join(folder, "store"),
    )
    arguments = [organa, "serve", "all", "--port", "0", "--catalog", os.path.join(ROOT, "models/catalog.json")]
    log = open(os.path.join(folder, "organa.log"), "wb")
    process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=log, env=environment, cwd=ROOT)
    deadline = time.time() + 120
    while time.time() < deadline:
        line = process.stdout.readline().decode()
        if not line and process.poll() is not None:
            raise RuntimeError(f"organa serve all exited; see {folder}/organa.log")
        if "gateway listening on http://127.0.0.1:" in line:
            return process, line.strip().rsplit(" ", 1)[-1]
    process.kill()
    raise RuntimeError("the gateway did not start within 120 s")


def wait_for(session, expression, timeout, what):
    """Polls a JS expression until it is truthy; returns its value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = session.evaluate(expression)
        if value:
            return value
        time.sleep(0.25)
    state = session.evaluate("JSON.stringify(window.organaViewer)")
    raise TimeoutError(f"timed out after {timeout} s waiting for {what}; viewer state: {state}")


def settle(session):
    """Two animation frames: the last change is drawn."""
    session.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def click(session, selector):
    session.evaluate(f"document.querySelector({json.dumps(selector)}).click(), true")


def screenshot(session, path, selector=None):
    """Saves a PNG of the page (or of one element) and returns its decoded pixels."""
    params = {"format": "png"}
    if selector:
        box = session.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
            " return {x: r.x, y: r.y, width: r.width, height: r.height}; })()"
        )
        params["clip"] = dict(box, scale=1)
    data = cdp.base64.b64decode(session.call("Page.captureScreenshot", **params)["data"])
    with open(path, "wb") as file:
        file.write(data)
    return cdp.decode_png(data)


def pixels(image):
    width, height, channels, data = image
    for at in range(0, width * height * channels, channels):
        yield data[at], data[at + 1], data[at + 2]


def mesh_figures(image):
    """Pixels of each structure colour (same chromaticity, any shading), background and other pixels."""
    counts = dict.fromkeys(COLORS, 0)
    counts.update(background=0, other=0)
    targets = {name: tuple(c / sum(rgb) for c in rgb) for name, rgb in COLORS.items()}
    for r, g, b in pixels(image):
        if (r, g, b) == BACKGROUND:
            counts["background"] += 1
            continue
        total = r + g + b
        if total > 60:
            chroma = (r / total, g / total, b / total)
            for name, target in targets.items():
                if max(abs(chroma[n] - target[n]) for n in range(3)) < 0.025:
                    counts[name] += 1
                    break
            else:
                counts["other"] += 1
        else:
            counts["other"] += 1
    return counts


def slice_figures(image, overlay):
    """Grey CT pixels and label-overlay pixels per structure: grey·(1−a) + colour·a keeps r−g and g−b fixed."""
    counts = dict.fromkeys(COLORS, 0)
    counts.update(grey=0, other=0)
    for r, g, b in pixels(image):
        if r == g == b:
            counts["grey" if r > 0 else "other"] += 1
            continue
        for name, (cr, cg, cb) in COLORS.items():
            if abs((r - g) - (cr - cg) * overlay) <= 3 and abs((g - b) - (cg - cb) * overlay) <= 3:
                counts[name] += 1
                break
        else:
            counts["other"] += 1
    return counts


def check(problems, condition, message):
    if not condition:
        problems.append(message)


def run(args, out, problems, figures):
    folder = tempfile.mkdtemp(prefix="organa-viewer-")
    gateway, url = start_gateway(args.organa, folder)
    profile = os.path.join(folder, "chromium")
    os.makedirs(profile)
    browser, websocket_url = None, None
    try:
        browser, websocket_url = cdp.launch_chromium(profile, WIDTH, HEIGHT)
        session = cdp.Session(websocket_url)
        for domain in ("Page", "Runtime", "Log"):
            session.call(f"{domain}.enable")
        session.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1, mobile=False)
        downloads = os.path.join(out, "downloads")
        os.makedirs(downloads, exist_ok=True)
        session.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=downloads)
        session.call("Page.navigate", url=f"{url}/viewer/")
        wait_for(session, "document.readyState === 'complete' && !!window.organaViewer", 60, "the page")
        webgl = session.evaluate(
            "(() => { const c = document.createElement('canvas'); const gl = c.getContext('webgl2') ||"
            " c.getContext('webgl'); return gl ? gl.getParameter(gl.VERSION) : null; })()"
        )
        figures["webgl"] = webgl
        check(problems, webgl, "WebGL is not available in headless Chromium")

        # 1. A wrong key: the refusal in plain words.
        session.evaluate("document.querySelector('#token').value = 'not-the-key-0123456789', true")
        click(session, "#run-phantom")
        message = wait_for(
            session, "!document.querySelector('#error').hidden && document.querySelector('#error').textContent", 30,
            "the error banner")
        figures["wrongKeyMessage"] = message
        check(problems, message.startswith("The API key was not accepted"), f"wrong key shown as: {message}")

        # 2. The right key, the phantom job, to the end.
        session.evaluate(f"document.querySelector('#token').value = {json.dumps(API_KEY)}, true")
        session.evaluate("document.querySelector('#token-form').requestSubmit(), true")
        started = time.time()
        click(session, "#run-phantom")
        wait_for(
            session,
            "(() => { const v = window.organaViewer; return v.state === 'failed' || v.state === 'done'"
            " && v.meshes.kidney?.kind === 'final' && v.meshes.tumor?.kind === 'final'"
            " && v.labels === 'post/labels_corrected.nii.gz' && !!v.slice && v.fatSides.length > 0; })()",
            args.timeout, "the job to finish in the viewer")
        time.sleep(0.5)  # the queue's last draw
        settle(session)
        status = session.evaluate("JSON.parse(JSON.stringify(window.organaViewer))")
        figures["jobSeconds"] = round(time.time() - started, 1)
        figures["viewer"] = {k: status[k] for k in ("state", "meshes", "previewShown", "replaced", "labels",
                                                     "volumes", "slice", "errors")}
        figures["fatSides"] = [{"side": s["side"], "volumeML": round(s["volumeML"], 1)} for s in status["fatSides"]]
        check(problems, status["state"] == "done", f"the job ended {status['state']}")
        check(problems, "kidney" in status["previewShown"], "no preview kidney mesh was shown")
        check(problems, "kidney" in status["replaced"], "the preview kidney mesh was not replaced by the full one")
        for name in COLORS:
            check(problems, status["meshes"].get(name, {}).get("kind") == "final", f"no full {name} mesh")
            check(problems, (status["volumes"].get(name) or 0) > 1, f"no {name} volume in mL")
        check(problems, status["fatSides"], "no perirenal fat measurements")
        check(problems, not status["errors"][1:], f"errors shown after the wrong key: {status['errors'][1:]}")
        rows = session.evaluate(
            "[...document.querySelectorAll('#structure-table tbody tr')].map(r => r.innerText.replace(/\\s+/g, ' '))")
        figures["tableRows"] = rows

        # 3. Screenshots and their pixels.
        screenshot(session, os.path.join(out, "viewer.png"))
        mesh = mesh_figures(screenshot(session, os.path.join(out, "mesh.png"), "#mesh-canvas"))
        figures["meshPixels"] = mesh
        check(problems, mesh["kidney"] >= MIN_MESH_PIXELS,
              f"3D view: {mesh['kidney']} kidney-coloured pixels (want >= {MIN_MESH_PIXELS})")
        # The tumour lies inside the kidney: hide the kidney (its row's "show" box) to see it.
        click(session, "#structure-table tbody tr:first-child input[type=checkbox]")
        settle(session)
        alone = mesh_figures(screenshot(session, os.path.join(out, "mesh-tumor.png"), "#mesh-canvas"))
        figures["meshPixelsKidneyHidden"] = alone
        check(problems, alone["tumor"] >= MIN_TUMOR_PIXELS,
              f"3D view, kidney hidden: {alone['tumor']} tumour pixels (want >= {MIN_TUMOR_PIXELS})")
        check(problems, alone["kidney"] < mesh["kidney"] / 10, "hiding the kidney left it in the 3D view")
        click(session, "#structure-table tbody tr:first-child input[type=checkbox]")
        overlay = session.evaluate("Number(document.querySelector('#overlay-opacity').value) / 100")
        figures["slicePixels"] = slices(session, out, overlay, "kidney", "", problems)
        # The structure's name in the table moves every slice through it.
        click(session, "#structure-table tbody tr:nth-child(2) button.name")
        figures["slicePixelsThroughTumor"] = slices(session, out, overlay, "tumor", "-tumor", problems)
        click(session, "input[name=axis][value=axial]")
        orbit_and_zoom(session, out, mesh, figures, problems)
        if args.readme_png:
            readme_screenshot(session, args.readme_png)

        # 4. Downloads through the page's buttons.
        click(session, "#structure-table tbody tr:first-child button.obj")
        wait_for_files(downloads, ["kidney.obj"], 30, problems)
        click(session, "#download-all")
        wait_for_files(downloads, ["kidney.obj", "tumor.obj"], 30, problems)
        figures["downloads"] = sorted(os.listdir(downloads))
        for name in ("kidney.obj", "tumor.obj"):
            path = os.path.join(downloads, name)
            if os.path.exists(path):
                text = open(path).read()
                check(problems, "\nv " in text and "\nf " in text, f"{name} downloaded is not an OBJ mesh")
        refused_and_uploaded(session, os.path.join(folder, "store", "samples", "phantom.nii.gz"), args, figures,
                             problems)
        figures["consoleErrors"] = console_errors(session)
        check(problems, not figures["consoleErrors"], f"page errors: {figures['consoleErrors']}")
        session.close()
    finally:
        if browser:
            browser.kill()
            browser.wait()
        gateway.send_signal(signal.SIGTERM)
        try:
            gateway.wait(timeout=10)
        except subprocess.TimeoutExpired:
            gateway.kill()
        shutil.rmtree(folder, ignore_errors=True)


def slices(session, out, overlay, structure, suffix, problems):
    """Screenshots of the slice view in each orientation; checks CT grey and the structure's overlay colour."""
    figures = {}
    for axis in ("axial", "coronal", "sagittal"):
        click(session, f"input[name=axis][value={axis}]")
        settle(session)
        counts = slice_figures(
            screenshot(session, os.path.join(out, f"slice-{axis}{suffix}.png"), "#slice-canvas"), overlay)
        figures[axis] = counts
        check(problems, counts["grey"] >= MIN_CT_PIXELS, f"{axis} slice: {counts['grey']} grey CT pixels")
        check(problems, counts[structure] >= MIN_OVERLAY_PIXELS,
              f"{axis} slice: {counts[structure]} {structure} overlay pixels (want >= {MIN_OVERLAY_PIXELS})")
    return figures


def orbit_and_zoom(session, out, before, figures, problems):
    """Drags across the 3D view and turns the wheel: the picture must change and still show the meshes."""
    box = session.evaluate(
        "(() => { const r = document.querySelector('#mesh-canvas').getBoundingClientRect();"
        " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()")
    x, y = box["x"], box["y"]
    session.call("Input.dispatchMouseEvent", type="mousePressed", x=x, y=y, button="left", clickCount=1)
    for step in range(1, 11):
        session.call("Input.dispatchMouseEvent", type="mouseMoved", x=x + 12 * step, y=y, button="left")
    session.call("Input.dispatchMouseEvent", type="mouseReleased", x=x + 120, y=y, button="left", clickCount=1)
    session.call("Input.dispatchMouseEvent", type="mouseWheel", x=x, y=y, deltaX=0, deltaY=-300)
    settle(session)
    after = mesh_figures(screenshot(session, os.path.join(out, "mesh-orbited.png"), "#mesh-canvas"))
    figures["meshPixelsOrbited"] = after
    check(problems, after != before, "orbit and zoom did not change the 3D view")
    check(problems, after["kidney"] >= MIN_MESH_PIXELS, "the kidney left the 3D view after orbit and zoom")


def refused_and_uploaded(session, ct, args, figures, problems):
    """An impossible request (vessels on 5 mm slices) shown in words; then the same CT uploaded as a file."""
    artery = "#structure-choice input[value=artery]"
    click(session, artery)
    session.evaluate("document.querySelector('#error').hidden = true")
    click(session, "#run-phantom")
    message = wait_for(
        session, "!document.querySelector('#error').hidden && document.querySelector('#error').textContent", 30,
        "the refusal of artery")
    figures["impossibleRequestMessage"] = message
    check(problems, message.startswith("This job cannot run: no model can give artery"), f"a 422 shown as: {message}")
    click(session, artery)
    click(session, "#preview")  # off: the upload's job runs without the preview
    first = session.evaluate("window.organaViewer.jobID")
    node = session.call("Runtime.evaluate", expression="document.querySelector('#file')")["result"]["objectId"]
    session.call("DOM.setFileInputFiles", files=[ct], objectId=node)
    click(session, "#run-upload")
    wait_for(
        session,
        f"(() => {{ const v = window.organaViewer; return v.jobID !== {json.dumps(first)} && (v.state === 'failed'"
        " || v.state === 'done' && v.meshes.kidney?.kind === 'final' && !!v.slice"
        " && v.labels === 'post/labels_corrected.nii.gz'); })()",
        args.timeout, "the uploaded CT's job")
    upload = session.evaluate("JSON.parse(JSON.stringify(window.organaViewer))")
    figures["upload"] = {k: upload[k] for k in ("state", "meshes", "previewShown", "volumes")}
    check(problems, upload["state"] == "done", f"the uploaded CT's job ended {upload['state']}")
    check(problems, not upload["previewShown"], "preview meshes shown with the preview off")


def readme_screenshot(session, path):
    """The page for the README: the camera reset, the kidney at 45 % opacity so that the tumour shows inside."""
    kidney_opacity = "#structure-table tbody tr:first-child input[type=range]"
    set_opacity = (
        f"(v => {{ const i = document.querySelector({json.dumps(kidney_opacity)}); i.value = v;"
        " i.dispatchEvent(new Event('input')); return true; })")
    session.evaluate("document.querySelector('#mesh-canvas').dispatchEvent(new MouseEvent('dblclick')), true")
    session.evaluate(f"{set_opacity}(45)")
    settle(session)
    screenshot(session, path)
    session.evaluate(f"{set_opacity}(100)")


def wait_for_files(folder, names, timeout, problems):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all(os.path.exists(os.path.join(folder, n)) for n in names):
            return
        time.sleep(0.2)
    problems.append(f"downloads missing after {timeout} s: {names}, found {sorted(os.listdir(folder))}")


def console_errors(session):
    errors = []
    for event in session.events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.exceptionThrown":
            errors.append(params["exceptionDetails"].get("exception", {}).get("description", "exception"))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            text = params["entry"]["text"]
            if not any(f"status of {code}" in text for code in (401, 422)):  # the refusals the check asks for
                errors.append(text)
    return errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organa", required=True, help="the organa binary")
    parser.add_argument("--out", help="screenshot folder (default: a new temporary folder)")
    parser.add_argument("--readme-png", help="also save the page's screenshot here (docs/viewer.png)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds the job may take")
    args = parser.parse_args()
    out = os.path.abspath(args.out or tempfile.mkdtemp(prefix="organa-viewer-screenshots-"))
    os.makedirs(out, exist_ok=True)
    print(f"viewer screenshots: {out}", file=sys.stderr)
    problems, figures = [], {}
    try:
        run(args, out, problems, figures)
    except Exception as error:  # reported in the JSON, not as a traceback only
        problems.append(f"{type(error).__name__}: {error}")
    print(json.dumps({"ok": not problems, "problems": problems, "screenshots": out, "figures": figures}, indent=1))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
