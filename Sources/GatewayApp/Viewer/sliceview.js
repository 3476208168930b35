// sliceview.js — one slice of the CT in grey (abdominal window: level 40 HU, width 400 HU) with the label map
// over it in the structures' colours; axial (k fixed), coronal (j fixed) or sagittal (i fixed). Voxel index
// (i, j, k) runs along the file's axes; for Organa's LPS files i goes to the patient's left (screen right),
// j posterior (down in axial), k superior (up in coronal and sagittal). The slice is drawn at the voxel
// spacing's aspect ratio, without smoothing.

const AXES = {
  // width axis, height axis, fixed axis; `flip`: the height axis runs upwards on screen.
  axial: { u: 0, v: 1, w: 2, flip: false },
  coronal: { u: 0, v: 2, w: 1, flip: true },
  sagittal: { u: 1, v: 2, w: 0, flip: true },
};

export class SliceView {
  constructor(canvas) {
    this.canvas = canvas;
    this.axis = 'axial';
    this.index = { axial: 0, coronal: 0, sagittal: 0 };
    this.overlay = 0.5;
    this.colors = new Map(); // label value → [r, g, b] 0…255 (only visible structures)
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /**
   * The CT (and, when it matches the CT's grid, the label map); null clears. Until the user moves a slider,
   * each new label map puts the slices where they show the most of the coloured structures.
   */
  setVolumes(ct, labels) {
    if (!ct) this.moved = false;
    this.ct = ct;
    this.labels = labels && ct && labels.size.every((n, a) => n === ct.size[a]) ? labels : null;
    this.mismatch = Boolean(labels && ct && !this.labels);
    if (ct && !this.moved) this.centre();
    this.draw();
  }

  /**
   * Puts each axis's slice where it shows the most of `label` (of any coloured label when omitted; the middle
   * of the grid when there is none).
   */
  centre(label) {
    if (!this.ct) return;
    const size = this.ct.size, [nx, ny] = size;
    const perSlice = size.map((n) => new Float64Array(n));
    let found = 0;
    if (this.labels) {
      const data = this.labels.data;
      for (let n = 0; n < data.length; n++) {
        if (label === undefined ? !this.colors.has(data[n]) : data[n] !== label) continue;
        perSlice[0][n % nx]++;
        perSlice[1][Math.floor(n / nx) % ny]++;
        perSlice[2][Math.floor(n / (nx * ny))]++;
        found++;
      }
    }
    for (const [name, axis] of Object.entries(AXES)) {
      const counts = perSlice[axis.w];
      this.index[name] = found ? counts.indexOf(Math.max(...counts)) : Math.floor(size[axis.w] / 2);
    }
    this.draw();
  }

  setAxis(axis) { this.axis = axis; this.draw(); }

  /** Moves the current axis's slice (the user's choice: new label maps no longer move it). */
  setIndex(index) {
    this.index[this.axis] = index;
    this.moved = true;
    this.draw();
  }

  /** Slices along the current axis. */
  get count() { return this.ct ? this.ct.size[AXES[this.axis].w] : 0; }

  draw() {
    const canvas = this.canvas, context = canvas.getContext('2d');
    canvas.width = Math.max(1, canvas.clientWidth);
    canvas.height = Math.max(1, canvas.clientHeight);
    context.fillStyle = '#000';
    context.fillRect(0, 0, canvas.width, canvas.height);
    if (!this.ct) return;
    const axis = AXES[this.axis], size = this.ct.size, spacing = this.ct.spacing;
    const image = this.sliceImage(axis);
    const width = size[axis.u] * spacing[axis.u], height = size[axis.v] * spacing[axis.v];
    const scale = Math.min(canvas.width / width, canvas.height / height);
    const offscreen = new OffscreenCanvas(image.width, image.height);
    offscreen.getContext('2d').putImageData(image, 0, 0);
    context.imageSmoothingEnabled = false;
    context.drawImage(offscreen, (canvas.width - width * scale) / 2, (canvas.height - height * scale) / 2,
      width * scale, height * scale);
    if (this.mismatch) {
      context.fillStyle = '#f88';
      context.fillText('the label map is on another grid than the CT: no overlay', 8, 16);
    }
  }

  /** The slice as RGBA pixels, one per voxel. */
  sliceImage(axis) {
    const ct = this.ct, size = ct.size;
    const width = size[axis.u], height = size[axis.v];
    const k = Math.min(Math.max(this.index[this.axis], 0), size[axis.w] - 1);
    const image = new ImageData(width, height);
    const stride = [1, size[0], size[0] * size[1]];
    const low = 40 - 200, range = 400, alpha = this.overlay;
    for (let y = 0; y < height; y++) {
      const v = axis.flip ? height - 1 - y : y;
      for (let x = 0; x < width; x++) {
        const n = x * stride[axis.u] + v * stride[axis.v] + k * stride[axis.w];
        const hu = ct.data[n] * ct.slope + ct.intercept;
        let r = Math.min(Math.max(((hu - low) / range) * 255, 0), 255), g = r, b = r;
        const color = this.labels && this.colors.get(this.labels.data[n]);
        if (color) {
          r = r * (1 - alpha) + color[0] * alpha;
          g = g * (1 - alpha) + color[1] * alpha;
          b = b * (1 - alpha) + color[2] * alpha;
        }
        const at = 4 * (y * width + x);
        image.data[at] = r;
        image.data[at + 1] = g;
        image.data[at + 2] = b;
        image.data[at + 3] = 255;
      }
    }
    return image;
  }
}
