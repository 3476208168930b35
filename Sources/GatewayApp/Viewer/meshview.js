// meshview.js — draws the job's OBJ meshes with WebGL (2 when available, else 1; GLSL ES 1.00 shaders run on
// both) and a Phong shader with a headlight, both faces lit. Coordinates are the OBJ's world millimetres (LPS:
// x to the patient's left, y posterior, z superior); the camera starts in front of the patient (anterior),
// superior up, so the patient's left is on the screen's right as in radiology. Drag: orbit; right- or
// shift-drag: pan; wheel: zoom; double-click: reset. Opaque meshes are drawn first, then translucent ones.

const VERTEX = `
attribute vec3 position;
attribute vec3 normal;
uniform mat4 view;
uniform mat4 projection;
varying vec3 viewNormal;
varying vec3 viewPosition;
void main() {
  vec4 p = view * vec4(position, 1.0);
  viewPosition = p.xyz;
  viewNormal = (view * vec4(normal, 0.0)).xyz;
  gl_Position = projection * p;
}`;

const FRAGMENT = `
precision mediump float;
uniform vec3 color;
uniform float opacity;
varying vec3 viewNormal;
varying vec3 viewPosition;
void main() {
  vec3 n = normalize(viewNormal);
  vec3 toEye = normalize(-viewPosition);
  if (dot(n, toEye) < 0.0) n = -n;
  float diffuse = max(dot(n, toEye), 0.0);
  float specular = pow(max(dot(reflect(-toEye, n), toEye), 0.0), 40.0);
  gl_FragColor = vec4(color * (0.3 + 0.7 * diffuse) + vec3(0.18 * specular), opacity);
}`;

/** Parses OBJ text (v, vn, triangular or polygonal f) into flat per-corner positions and normals. */
export function parseObj(text) {
  const v = [], vn = [], positions = [], normals = [];
  for (const line of text.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts[0] === 'v') v.push(parts.slice(1, 4).map(Number));
    else if (parts[0] === 'vn') vn.push(parts.slice(1, 4).map(Number));
    else if (parts[0] === 'f') {
      const corners = parts.slice(1).map((c) => c.split('/').map((s) => (s ? Number(s) : 0)));
      for (let n = 1; n + 1 < corners.length; n++) addTriangle([corners[0], corners[n], corners[n + 1]]);
    }
  }
  function addTriangle(corners) {
    const p = corners.map(([a]) => v[a < 0 ? v.length + a : a - 1]);
    const flat = faceNormal(p);
    for (let c = 0; c < 3; c++) {
      positions.push(...p[c]);
      const b = corners[c][2];
      normals.push(...(b ? vn[b < 0 ? vn.length + b : b - 1] : flat));
    }
  }
  return { positions: new Float32Array(positions), normals: new Float32Array(normals) };
}

function faceNormal([a, b, c]) {
  const u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]], w = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
  const n = [u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]];
  const length = Math.hypot(...n) || 1;
  return n.map((x) => x / length);
}

export class MeshView {
  constructor(canvas) {
    this.canvas = canvas;
    const options = { antialias: true, preserveDrawingBuffer: true };
    this.gl = canvas.getContext('webgl2', options) || canvas.getContext('webgl', options);
    if (!this.gl) throw new Error('this browser has no WebGL: the 3D view cannot be shown');
    this.program = this.compile();
    this.meshes = new Map();
    this.resetCamera();
    this.listen();
    new ResizeObserver(() => this.redraw()).observe(canvas);
  }

  /** Adds or replaces the named mesh. `style`: {color: [r, g, b] in 0…1, opacity, visible}. */
  setMesh(name, obj, style) {
    const gl = this.gl;
    this.removeMesh(name);
    const buffer = (data) => {
      const b = gl.createBuffer();
      gl.bindBuffer(gl.ARRAY_BUFFER, b);
      gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
      return b;
    };
    const fresh = this.meshes.size === 0;
    this.meshes.set(name, {
      position: buffer(obj.positions), normal: buffer(obj.normals), count: obj.positions.length / 3,
      bounds: bounds(obj.positions), style,
    });
    if (fresh) this.resetCamera();
    this.redraw();
  }

  removeMesh(name) {
    const mesh = this.meshes.get(name);
    if (!mesh) return;
    this.gl.deleteBuffer(mesh.position);
    this.gl.deleteBuffer(mesh.normal);
    this.meshes.delete(name);
    this.redraw();
  }

  setStyle(name, style) {
    const mesh = this.meshes.get(name);
    if (mesh) Object.assign(mesh.style, style);
    this.redraw();
  }

  /** Frames every mesh, seen from the front. */
  resetCamera() {
    const all = [...(this.meshes?.values() || [])].map((m) => m.bounds);
    const lo = [0, 1, 2].map((a) => Math.min(...all.map((b) => b.lo[a]), all.length ? Infinity : -100));
    const hi = [0, 1, 2].map((a) => Math.max(...all.map((b) => b.hi[a]), all.length ? -Infinity : 100));
    this.target = lo.map((x, a) => (x + hi[a]) / 2);
    this.radius = Math.max(Math.hypot(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]) / 2, 1);
    this.distance = this.radius * 2.2;
    this.yaw = 0;
    this.pitch = 0.15;
    this.redraw();
  }

  redraw() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => {
      this.pending = 0;
      this.draw();
    });
  }

  draw() {
    const gl = this.gl, canvas = this.canvas;
    const scale = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(canvas.clientWidth * scale));
    canvas.height = Math.max(1, Math.round(canvas.clientHeight * scale));
    gl.viewport(0, 0, canvas.width, canvas.height);
    gl.clearColor(0.125, 0.133, 0.153, 1);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.enable(gl.DEPTH_TEST);
    gl.useProgram(this.program.handle);
    const u = this.program.uniforms;
    gl.uniformMatrix4fv(u.view, false, this.viewMatrix());
    gl.uniformMatrix4fv(u.projection, false, perspective(0.8, canvas.width / canvas.height, this.distance / 50,
      this.distance + this.radius * 4));
    const visible = [...this.meshes.values()].filter((m) => m.style.visible && m.style.opacity > 0);
    const opaque = visible.filter((m) => m.style.opacity >= 1);
    const translucent = visible.filter((m) => m.style.opacity < 1);
    gl.disable(gl.BLEND);
    gl.depthMask(true);
    for (const mesh of opaque) this.drawMesh(mesh);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    gl.depthMask(false);
    for (const mesh of translucent) this.drawMesh(mesh);
    gl.depthMask(true);
  }

  drawMesh(mesh) {
    const gl = this.gl, { attributes, uniforms } = this.program;
    gl.uniform3fv(uniforms.color, mesh.style.color);
    gl.uniform1f(uniforms.opacity, mesh.style.opacity);
    for (const [name, buffer] of [['position', mesh.position], ['normal', mesh.normal]]) {
      gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
      gl.enableVertexAttribArray(attributes[name]);
      gl.vertexAttribPointer(attributes[name], 3, gl.FLOAT, false, 0, 0);
    }
    gl.drawArrays(gl.TRIANGLES, 0, mesh.count);
  }

  /** Camera on a sphere around the target: yaw about z (superior), pitch above the axial plane. */
  eye() {
    const c = Math.cos(this.pitch);
    return [
      this.target[0] + this.distance * c * Math.sin(this.yaw),
      this.target[1] - this.distance * c * Math.cos(this.yaw),
      this.target[2] + this.distance * Math.sin(this.pitch),
    ];
  }

  viewMatrix() { return lookAt(this.eye(), this.target, [0, 0, 1]); }

  listen() {
    const canvas = this.canvas;
    let drag = null;
    canvas.addEventListener('contextmenu', (e) => e.preventDefault());
    canvas.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, pan: e.button === 2 || e.shiftKey };
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener('pointerup', () => { drag = null; });
    canvas.addEventListener('pointermove', (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      drag.x = e.clientX;
      drag.y = e.clientY;
      if (drag.pan) this.pan(dx, dy); else this.orbit(dx, dy);
    });
    canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      this.distance = Math.min(Math.max(this.distance * Math.exp(e.deltaY * 0.001), this.radius * 0.2),
        this.radius * 20);
      this.redraw();
    }, { passive: false });
    canvas.addEventListener('dblclick', () => this.resetCamera());
  }

  orbit(dx, dy) {
    this.yaw -= dx * 0.01;
    this.pitch = Math.min(Math.max(this.pitch + dy * 0.01, -1.55), 1.55);
    this.redraw();
  }

  pan(dx, dy) {
    const m = this.viewMatrix();
    const perPixel = (2 * this.distance * Math.tan(0.4)) / this.canvas.clientHeight;
    for (let a = 0; a < 3; a++) this.target[a] += (-dx * m[a * 4] + dy * m[a * 4 + 1]) * perPixel;
    this.redraw();
  }

  compile() {
    const gl = this.gl;
    const shader = (type, source) => {
      const s = gl.createShader(type);
      gl.shaderSource(s, source);
      gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
      return s;
    };
    const handle = gl.createProgram();
    gl.attachShader(handle, shader(gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(handle, shader(gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(handle);
    if (!gl.getProgramParameter(handle, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(handle));
    const uniforms = {}, attributes = {};
    for (const name of ['view', 'projection', 'color', 'opacity']) uniforms[name] = gl.getUniformLocation(handle, name);
    for (const name of ['position', 'normal']) attributes[name] = gl.getAttribLocation(handle, name);
    return { handle, uniforms, attributes };
  }
}

function bounds(positions) {
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let n = 0; n < positions.length; n += 3) {
    for (let a = 0; a < 3; a++) {
      lo[a] = Math.min(lo[a], positions[n + a]);
      hi[a] = Math.max(hi[a], positions[n + a]);
    }
  }
  return { lo, hi };
}

/** Column-major 4×4 matrices, as WebGL takes them. */
function perspective(fovy, aspect, near, far) {
  const f = 1 / Math.tan(fovy / 2), d = near - far;
  return new Float32Array([f / aspect, 0, 0, 0, 0, f, 0, 0, 0, 0, (far + near) / d, -1, 0, 0, (2 * far * near) / d, 0]);
}

function lookAt(eye, target, up) {
  const sub = (a, b) => a.map((x, n) => x - b[n]);
  const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const norm = (a) => { const l = Math.hypot(...a) || 1; return a.map((x) => x / l); };
  const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  const z = norm(sub(eye, target)), x = norm(cross(up, z)), y = cross(z, x);
  return new Float32Array([x[0], y[0], z[0], 0, x[1], y[1], z[1], 0, x[2], y[2], z[2], 0,
    -dot(x, eye), -dot(y, eye), -dot(z, eye), 1]);
}
