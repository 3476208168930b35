#!/usr/bin/env python3
"""Load OBJ files with trimesh and report, per object, whether it is watertight and its volume.

Usage: check_obj.py FILE.obj [...]
Prints one JSON object: {path: {object name: {"watertight", "winding_consistent", "volume",
"triangles", "vertices", "euler"}}}. Each `o` object is loaded on its own (split_objects on, group_material off,
no vertex merging beyond what the file shares), so a watertight object means its own faces close.
Used by Tests/MeshingTests/ReferenceOBJTests.swift through the reference interpreter.
"""
import json
import sys

import trimesh


def report(path):
    scene = trimesh.load(path, force="scene", process=False, group_material=False, split_objects=True)
    out = {}
    for name, geom in scene.geometry.items():
        out[name] = {
            "watertight": bool(geom.is_watertight),
            "winding_consistent": bool(geom.is_winding_consistent),
            "volume": float(geom.volume),
            "triangles": int(len(geom.faces)),
            "vertices": int(len(geom.vertices)),
            "euler": int(geom.euler_number),
        }
    return out


if __name__ == "__main__":
    print(json.dumps({p: report(p) for p in sys.argv[1:]}))
