extension NiftiHeader {
    /// The header bytes followed by the 4-byte extension flag (all zero: no extensions), little-endian.
    /// `voxOffset` should be 352 (NIfTI-1) or 544 (NIfTI-2) for a file written with `encoded()`.
    public func encoded() -> [UInt8] {
        version == .nifti1 ? encodedNifti1() : encodedNifti2()
    }

    private func encodedNifti1() -> [UInt8] {
        var w = ByteWriter(count: Self.nifti1HeaderSize + 4)
        w.put(Int32(Self.nifti1HeaderSize), at: 0)
        w.bytes[38] = UInt8(ascii: "r")  // "regular", as nifti_clib and ITK write
        w.bytes[39] = dimInfo
        for (index, value) in dim.enumerated() { w.put(Int16(clamping: value), at: 40 + 2 * index) }
        w.putFloat32(intentP1, at: 56)
        w.putFloat32(intentP2, at: 60)
        w.putFloat32(intentP3, at: 64)
        w.put(Int16(clamping: intentCode), at: 68)
        w.put(datatype, at: 70)
        w.put(bitpix, at: 72)
        w.put(Int16(clamping: sliceStart), at: 74)
        for (index, value) in pixdim.enumerated() { w.putFloat32(value, at: 76 + 4 * index) }
        w.putFloat32(Double(voxOffset), at: 108)
        w.putFloat32(sclSlope, at: 112)
        w.putFloat32(sclInter, at: 116)
        w.put(Int16(clamping: sliceEnd), at: 120)
        w.bytes[122] = UInt8(clamping: sliceCode)
        w.bytes[123] = UInt8(clamping: xyztUnits)
        w.putFloat32(calMax, at: 124)
        w.putFloat32(calMin, at: 128)
        w.putFloat32(sliceDuration, at: 132)
        w.putFloat32(toffset, at: 136)
        w.putString(descrip, at: 148, length: 80)
        w.putString(auxFile, at: 228, length: 24)
        w.put(Int16(clamping: qformCode), at: 252)
        w.put(Int16(clamping: sformCode), at: 254)
        for (index, value) in [quaternB, quaternC, quaternD, qoffsetX, qoffsetY, qoffsetZ].enumerated() {
            w.putFloat32(value, at: 256 + 4 * index)
        }
        for (row, values) in [srowX, srowY, srowZ].enumerated() {
            for (index, value) in values.enumerated() { w.putFloat32(value, at: 280 + 16 * row + 4 * index) }
        }
        w.putString(intentName, at: 328, length: 16)
        w.putString(isSingleFile ? "n+1" : "ni1", at: 344, length: 4)
        return w.bytes
    }

    private func encodedNifti2() -> [UInt8] {
        var w = ByteWriter(count: Self.nifti2HeaderSize + 4)
        w.put(Int32(Self.nifti2HeaderSize), at: 0)
        let magic: [UInt8] = [
            UInt8(ascii: "n"), UInt8(ascii: isSingleFile ? "+" : "i"), UInt8(ascii: "2"), 0, 0x0D, 0x0A, 0x1A, 0x0A,
        ]
        for (index, byte) in magic.enumerated() { w.bytes[4 + index] = byte }
        w.put(datatype, at: 12)
        w.put(bitpix, at: 14)
        for (index, value) in dim.enumerated() { w.put(value, at: 16 + 8 * index) }
        w.putFloat64(intentP1, at: 80)
        w.putFloat64(intentP2, at: 88)
        w.putFloat64(intentP3, at: 96)
        for (index, value) in pixdim.enumerated() { w.putFloat64(value, at: 104 + 8 * index) }
        w.put(voxOffset, at: 168)
        for (index, value) in [sclSlope, sclInter, calMax, calMin, sliceDuration, toffset].enumerated() {
            w.putFloat64(value, at: 176 + 8 * index)
        }
        w.put(sliceStart, at: 224)
        w.put(sliceEnd, at: 232)
        w.putString(descrip, at: 240, length: 80)
        w.putString(auxFile, at: 320, length: 24)
        w.put(qformCode, at: 344)
        w.put(sformCode, at: 348)
        for (index, value) in [quaternB, quaternC, quaternD, qoffsetX, qoffsetY, qoffsetZ].enumerated() {
            w.putFloat64(value, at: 352 + 8 * index)
        }
        for (row, values) in [srowX, srowY, srowZ].enumerated() {
            for (index, value) in values.enumerated() { w.putFloat64(value, at: 400 + 32 * row + 8 * index) }
        }
        w.put(sliceCode, at: 496)
        w.put(xyztUnits, at: 500)
        w.put(intentCode, at: 504)
        w.putString(intentName, at: 508, length: 16)
        w.bytes[524] = dimInfo
        return w.bytes
    }
}
