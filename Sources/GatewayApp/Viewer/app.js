// app.js — wires the viewer page: API key, starting a job (bundled phantom or an uploaded .nii/.nii.gz),
// following its events, and showing what arrives: preview meshes (replaced by the full ones as they come),
// the structure table (show, colour, opacity, volume in mL from the label map, OBJ download), the perirenal
// fat measurements (post/post_report.json) and the slice view (the input CT with the label map). Every API
// failure is shown in plain words. `window.organaViewer` mirrors what the page shows, for scripted checks
// (tools/viewer/viewer_check.py).
import * as api from './api.js';
import { readNifti, labelCounts, voxelML } from './nifti.js';
import { MeshView, parseObj } from './meshview.js';
import { SliceView } from './sliceview.js';

/** Canonical structures: label values as Segmentation's `Structure`, colours as Meshing's `StructureStyle`. */
const STRUCTURES = [
  { name: 'kidney', label: 1, color: '#b87359', chosen: true },
  { name: 'tumor', label: 2, color: '#d9cc4d', chosen: true },
  { name: 'artery', label: 3, color: '#d93333', chosen: false },
  { name: 'vein', label: 4, color: '#4059cc', chosen: false },
  { name: 'ureter', label: 5, color: '#f2bf33', chosen: false },
];
const STAGES = ['queued', 'segmenting', 'postprocessing', 'meshing', 'done'];

const $ = (selector) => document.querySelector(selector);
const status = { state: 'idle', jobID: null, meshes: {}, previewShown: [], replaced: [], slice: null, labels: null,
  volumes: {}, fatSides: [], errors: [] };
window.organaViewer = status;

let meshView = null;
const sliceView = new SliceView($('#slice-canvas'));
let current = null; // {id, abort, rows: Map, queue: Promise, ct, labels, labelsRank}

function showError(text) {
  status.errors.push(text);
  const box = $('#error');
  box.textContent = text;
  box.hidden = false;
}

function clearError() { $('#error').hidden = true; }

/** Runs an async action; its failure is shown in plain words. */
async function guarded(action) {
  try {
    await action();
  } catch (error) {
    if (error.name !== 'AbortError') showError(api.plainWords(error));
  }
}

// MARK: starting and opening jobs

function setUpForm() {
  for (const s of STRUCTURES) {
    const label = document.createElement('label');
    label.innerHTML = `<input type="checkbox" value="${s.name}" ${s.chosen ? 'checked' : ''}> ${s.name}`;
    $('#structure-choice').append(label);
  }
  $('#token').value = api.storedToken();
  $('#token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    api.storeToken($('#token').value.trim());
    clearError();
  });
  $('#run-phantom').addEventListener('click', () => start({ sample: 'phantom' }));
  $('#run-upload').addEventListener('click', () => {
    const file = $('#file').files[0];
    if (!file) showError('Choose a .nii or .nii.gz file first.');
    else start({ file });
  });
  $('#open-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const id = $('#job-id').value.trim();
    if (id) guarded(async () => openJob(await api.job(id)));
  });
  $('#download-all').addEventListener('click', () => guarded(downloadAll));
}

function start(input) {
  clearError();
  api.storeToken($('#token').value.trim() || api.storedToken());
  const structures = [...document.querySelectorAll('#structure-choice input:checked')].map((i) => i.value);
  guarded(async () => {
    status.state = 'submitting';
    const job = await api.createJob({
      structures, preview: $('#preview').checked, mirroring: $('#mirroring').checked, ...input,
    });
    openJob(job);
  }).then(() => { if (status.state === 'submitting') status.state = 'idle'; });
}

/** Shows a job from scratch and follows its events (from the first: a finished job replays whole). */
function openJob(job) {
  current?.abort.abort();
  for (const name of meshView ? [...meshView.meshes.keys()] : []) meshView.removeMesh(name);
  Object.assign(status, { state: job.state, jobID: job.id, meshes: {}, previewShown: [], replaced: [],
    slice: null, labels: null, volumes: {}, fatSides: [] });
  current = { id: job.id, abort: new AbortController(), rows: new Map(), queue: Promise.resolve(), labelsRank: 0 };
  history.replaceState(null, '', `#job=${job.id}`);
  $('#job-id').value = job.id;
  $('#job-line').textContent = `Job ${job.id}`;
  $('#structure-table tbody').replaceChildren();
  $('#fat-table tbody').innerHTML = '<tr><td class="hint">after post-processing</td></tr>';
  current.chosen = job.options.structures;
  const chosen = current.chosen.length ? current.chosen : STRUCTURES.map((s) => s.name);
  for (const name of chosen) row(name);
  updateSliceColors();
  showStage(job.state);
  sliceView.setVolumes(null, null);
  const mine = current;
  enqueue(mine, () => loadCT(mine));
  api.followEvents(job.id, (event) => enqueue(mine, () => handle(mine, event)), mine.abort.signal)
    .catch((error) => showError(api.plainWords(error)));
}

/** Work for one job, one item at a time and in event order (a late preview never overwrites a full mesh). */
function enqueue(job, work) {
  job.queue = job.queue.then(() => (job === current ? guarded(work) : undefined));
}

// MARK: events

async function handle(job, event) {
  if (event.type === 'state') {
    status.state = event.state;
    showStage(event.state);
    if (event.state === 'failed') {
      const detail = (await api.job(job.id)).error || event.message || 'no reason given';
      showError(`The job failed: ${detail}`);
    }
  } else if (event.type === 'progress') {
    $('#progress-line').textContent = `${event.stage}: ${event.done} of ${event.total}`;
  } else if (event.type === 'artifact') {
    await artifactArrived(job, event.artifact);
  }
}

async function artifactArrived(job, artifact) {
  const path = api.pathOfKey(job.id, artifact.key);
  if (artifact.kind === 'mesh') await meshArrived(job, artifact.structure, path);
  else if (path === 'preview_labels.nii.gz') await loadLabels(job, path, 1);
  else if (path === 'labels.nii.gz') await loadLabels(job, path, 2);
  else if (path === 'post/labels_corrected.nii.gz') await loadLabels(job, path, 3);
  else if (path.endsWith('post_report.json')) showFat(await (await api.artifact(job.id, path)).json());
}

async function meshArrived(job, structure, path) {
  const preview = path.startsWith('preview/');
  // The preview model gives every structure it knows; show only those the job asked for.
  if (preview && job.chosen.length && !job.chosen.includes(structure)) return;
  const entry = row(structure);
  if (preview && entry.mesh === 'final') return;
  const obj = parseObj(await (await api.artifact(job.id, path)).text());
  if (!meshView) meshView = new MeshView($('#mesh-canvas'));
  meshView.setMesh(structure, obj, { color: rgb(entry.color), opacity: entry.opacity, visible: entry.visible });
  if (preview) status.previewShown.push(structure);
  else if (entry.mesh === 'preview') status.replaced.push(structure);
  entry.mesh = preview ? 'preview' : 'final';
  entry.path = path;
  status.meshes[structure] = { kind: entry.mesh, triangles: obj.positions.length / 9 };
  refreshRow(structure);
}

// MARK: slice view and volumes

async function loadCT(job) {
  try {
    job.ct = await readNifti(await api.input(job.id));
  } catch (error) {
    if (error instanceof api.ApiError) throw error;
    throw new Error(`the slice view cannot show this CT (${error.message})`);
  }
  sliceView.setVolumes(job.ct, job.labels);
  status.slice = { size: job.ct.size, spacing: job.ct.spacing };
  updateSliceControls();
}

/** Loads a label map when it is better than the one shown (preview < merged < corrected). */
async function loadLabels(job, path, rank) {
  if (rank <= job.labelsRank) return;
  job.labels = await readNifti(await api.artifact(job.id, path));
  job.labelsRank = rank;
  status.labels = path;
  sliceView.setVolumes(job.ct, job.labels);
  updateSliceControls();
  const counts = labelCounts(job.labels), perVoxel = voxelML(job.labels);
  for (const s of STRUCTURES) {
    if (!current.rows.has(s.name)) continue;
    row(s.name).volumeML = counts[s.label] * perVoxel;
    status.volumes[s.name] = row(s.name).volumeML;
    refreshRow(s.name);
  }
}

function updateSliceColors() {
  sliceView.colors = new Map();
  for (const s of STRUCTURES) {
    const entry = current?.rows.get(s.name);
    if (entry?.visible) sliceView.colors.set(s.label, rgb(entry.color).map((c) => c * 255));
  }
  sliceView.draw();
}

function updateSliceControls() {
  const slider = $('#slice-index');
  slider.max = Math.max(sliceView.count - 1, 0);
  slider.value = sliceView.index[sliceView.axis];
  $('#slice-label').textContent = sliceView.ct ? `${sliceView.axis} ${slider.value} / ${slider.max}` : '';
  updateSliceColors();
}

function setUpSlices() {
  for (const radio of document.querySelectorAll('input[name=axis]')) {
    radio.addEventListener('change', () => { sliceView.setAxis(radio.value); updateSliceControls(); });
  }
  $('#slice-index').addEventListener('input', (e) => {
    sliceView.setIndex(Number(e.target.value));
    updateSliceControls();
  });
  $('#overlay-opacity').addEventListener('input', (e) => {
    sliceView.overlay = Number(e.target.value) / 100;
    sliceView.draw();
  });
}

// MARK: the structure table

/** The table row of a structure (made on first use). */
function row(name) {
  if (current.rows.has(name)) return current.rows.get(name);
  const known = STRUCTURES.find((s) => s.name === name);
  const entry = { name, color: known?.color || '#9a9a9a', opacity: 1, visible: true, mesh: 'none', volumeML: null };
  const tr = document.createElement('tr');
  tr.innerHTML = `<td><input type="checkbox" checked></td><td><input type="color" value="${entry.color}"></td>
    <td><button type="button" class="name" title="slices through ${name}">${name}</button></td><td class="mesh"></td><td class="volume"></td>
    <td><input type="range" min="0" max="100" value="100"></td><td><button type="button" class="obj">OBJ</button></td>`;
  const [show, color, opacity] = tr.querySelectorAll('input');
  show.addEventListener('change', () => restyle(entry, { visible: show.checked }));
  color.addEventListener('input', () => restyle(entry, { color: color.value }));
  opacity.addEventListener('input', () => restyle(entry, { opacity: Number(opacity.value) / 100 }));
  tr.querySelector('button.name').addEventListener('click', () => {
    const known = STRUCTURES.find((s) => s.name === name);
    if (known) sliceView.centre(known.label);
    sliceView.moved = true;
    updateSliceControls();
  });
  tr.querySelector('button.obj').addEventListener('click', () => guarded(() => download(entry)));
  entry.tr = tr;
  current.rows.set(name, entry);
  $('#structure-table tbody').append(tr);
  refreshRow(name);
  return entry;
}

function restyle(entry, change) {
  Object.assign(entry, change);
  meshView?.setStyle(entry.name, { color: rgb(entry.color), opacity: entry.opacity, visible: entry.visible });
  updateSliceColors();
}

function refreshRow(name) {
  const entry = current.rows.get(name);
  entry.tr.querySelector('.mesh').textContent = { none: '…', preview: 'preview', final: 'full' }[entry.mesh];
  entry.tr.querySelector('.volume').textContent = entry.volumeML == null ? '' : `${entry.volumeML.toFixed(1)} mL`;
  entry.tr.querySelector('button.obj').disabled = entry.mesh === 'none';
  $('#download-all').disabled = ![...current.rows.values()].some((r) => r.mesh === 'final');
}

async function download(entry) {
  const blob = await (await api.artifact(current.id, entry.path)).blob();
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `${entry.name}${entry.mesh === 'preview' ? '-preview' : ''}.obj`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

async function downloadAll() {
  for (const entry of current.rows.values()) {
    if (entry.mesh === 'final') await download(entry);
  }
}

// MARK: progress and fat

function showStage(state) {
  const at = STAGES.indexOf(state);
  $('#stages').replaceChildren(...STAGES.map((stage, n) => {
    const li = document.createElement('li');
    li.textContent = stage;
    if (state === 'failed') li.className = n === 0 ? 'done' : '';
    else li.className = n < at || state === 'done' ? 'done' : n === at ? 'active' : '';
    return li;
  }));
  if (state === 'failed') {
    const li = document.createElement('li');
    li.textContent = 'failed';
    li.className = 'failed';
    $('#stages').append(li);
  }
  $('#job-line').textContent = `Job ${current?.id ?? ''}: ${state}`;
}

function showFat(report) {
  const rows = (report.fatSides || []).map((side) => {
    const thickness = side.posteriorThickness;
    const detail = thickness
      ? `posterior ${thickness.maximumMM.toFixed(1)} mm max, ${thickness.medianMM.toFixed(1)} mm median`
      : 'posterior thickness not measured';
    const border = side.touchesBorder ? ' (touches the image border)' : '';
    return `<tr><td>${side.side}</td><td>${side.volumeML.toFixed(1)} mL</td><td>${detail}${border}</td></tr>`;
  });
  const warnings = (report.fatWarnings || []).map((w) => `<tr><td colspan="3" class="hint">${escape(w)}</td></tr>`);
  $('#fat-table tbody').innerHTML = rows.concat(warnings).join('') || '<tr><td class="hint">no fat found</td></tr>';
  status.fatSides = report.fatSides || [];
}

function escape(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}

function rgb(hex) { return [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16) / 255); }

// MARK: start-up

setUpForm();
setUpSlices();
try {
  meshView = new MeshView($('#mesh-canvas'));
} catch (error) {
  showError(error.message);
}
const opened = /#job=([0-9a-f-]+)/.exec(location.hash);
if (opened && api.storedToken()) guarded(async () => openJob(await api.job(opened[1])));
