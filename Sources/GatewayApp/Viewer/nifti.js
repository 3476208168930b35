// nifti.js — reads a NIfTI-1 image (.nii or .nii.gz) in the browser for the slice view: gunzip (every member)
// with the browser's DecompressionStream, the 348-byte header in either byte order, the voxels as a typed array in
// file order (i fastest, then j, then k: the same [z][y][x] layout Organa uses). Only what display needs:
// grid size, voxel spacing (mm) and the scaling slope/intercept. NIfTI-2 and 4-D images are refused with a
// message that says so.

const TYPES = {
  2: Uint8Array, 4: Int16Array, 8: Int32Array, 16: Float32Array, 64: Float64Array,
  256: Int8Array, 512: Uint16Array, 768: Uint32Array,
};

/** Reads the response's body as a NIfTI-1 volume: {size: [nx, ny, nz], spacing: [mm], data, slope, intercept}. */
export async function readNifti(response) {
  let bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzip(bytes);
  return parseNifti(bytes);
}

/**
 * Gunzips every member of a gzip file. DecompressionStream takes one member and fails on what follows, but
 * Organa (like pigz) writes several (the NIfTI header, then the voxels), so each member's end is found by
 * trying the next gzip signature (1f 8b 08) as its boundary; a last member is taken whole at the first try.
 */
async function gunzip(bytes) {
  const parts = [];
  for (let start = 0; start < bytes.length; ) {
    const member = await gunzipMember(bytes, start);
    parts.push(member.output);
    start = member.end;
  }
  const joined = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}

async function gunzipMember(bytes, start) {
  try {
    return { output: await inflate(bytes.subarray(start)), end: bytes.length };
  } catch {
    for (let end = start + 18; end + 3 <= bytes.length; end++) {
      if (bytes[end] !== 0x1f || bytes[end + 1] !== 0x8b || bytes[end + 2] !== 8) continue;
      try {
        return { output: await inflate(bytes.subarray(start, end)), end };
      } catch { /* a signature inside the compressed data: not the boundary */ }
    }
    throw new Error('the file is not valid gzip');
  }
}

async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Parses an uncompressed NIfTI-1 file. */
export function parseNifti(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 348) throw new Error('the file is too short to be NIfTI');
  const little = view.getInt32(0, true) === 348;
  if (!little && view.getInt32(0, false) !== 348) {
    const nifti2 = view.getInt32(0, true) === 540 || view.getInt32(0, false) === 540;
    throw new Error(nifti2 ? 'NIfTI-2 files cannot be shown in the slice view yet' : 'the file is not NIfTI-1');
  }
  const dim = (n) => view.getInt16(40 + 2 * n, little);
  if (dim(0) > 3 && dim(4) > 1) throw new Error('4-D images cannot be shown in the slice view');
  const size = [dim(1), Math.max(dim(2), 1), dim(0) >= 3 ? Math.max(dim(3), 1) : 1];
  const spacing = [1, 2, 3].map((n) => Math.abs(view.getFloat32(76 + 4 * n, little)) || 1);
  const code = view.getInt16(70, little);
  const Type = TYPES[code];
  if (!Type) throw new Error(`NIfTI datatype ${code} cannot be shown`);
  const offset = Math.max(352, Math.round(view.getFloat32(108, little)));
  const count = size[0] * size[1] * size[2];
  if (offset + count * Type.BYTES_PER_ELEMENT > bytes.byteLength) throw new Error('the NIfTI file is truncated');
  const slope = view.getFloat32(112, little);
  const intercept = view.getFloat32(116, little);
  return {
    size, spacing, data: voxels(bytes, offset, count, Type, little),
    slope: slope && Number.isFinite(slope) ? slope : 1, intercept: Number.isFinite(intercept) ? intercept : 0,
  };
}

/** The voxels as a typed array (copied: the data may be unaligned or big-endian). */
function voxels(bytes, offset, count, Type, little) {
  const width = Type.BYTES_PER_ELEMENT;
  const copy = bytes.slice(offset, offset + count * width);
  if (!little && width > 1) {
    for (let at = 0; at < copy.length; at += width) copy.subarray(at, at + width).reverse();
  }
  return new Type(copy.buffer);
}

/** Voxel count of each label value 1…255 (index = label). */
export function labelCounts(volume) {
  const counts = new Float64Array(256);
  const data = volume.data;
  for (let n = 0; n < data.length; n++) counts[data[n] & 255]++;
  return counts;
}

/** Volume of one voxel in mL (spacing in mm). */
export function voxelML(volume) { return (volume.spacing[0] * volume.spacing[1] * volume.spacing[2]) / 1000; }
