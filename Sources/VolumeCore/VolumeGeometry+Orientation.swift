extension VolumeGeometry {
    /// Three-letter anatomical orientation code: for each index axis i, j, k, the direction in which the index
    /// increases (`L`/`R`, `P`/`A`, `S`/`I`).
    ///
    /// Identity direction gives `"LPS"`, as in ITK's `DICOMOrientImageFilter` and nibabel's `aff2axcodes`
    /// (which, in its RAS world, gives `('L', 'P', 'S')` for the same image). Each axis takes the world axis
    /// of its largest cosine; ties go to the earlier world axis; axes are assigned without repetition, largest
    /// cosine first, so an oblique matrix still yields a valid permutation.
    public var orientationCode: String {
        var letters: [Character] = ["?", "?", "?"]
        var usedWorldAxes = Set<Int>()
        let order = (0..<3).sorted { largestCosine(of: $0) > largestCosine(of: $1) }
        for indexAxis in order {
            let column = direction.column(indexAxis)
            let candidates = (0..<3).filter { !usedWorldAxes.contains($0) }
            let worldAxis = candidates.max { Swift.abs(column[$0]) < Swift.abs(column[$1]) } ?? candidates[0]
            usedWorldAxes.insert(worldAxis)
            letters[indexAxis] = Self.letter(worldAxis: worldAxis, positive: column[worldAxis] >= 0)
        }
        return String(letters)
    }

    private func largestCosine(of indexAxis: Int) -> Double {
        let column = direction.column(indexAxis)
        return max(Swift.abs(column.x), Swift.abs(column.y), Swift.abs(column.z))
    }

    private static func letter(worldAxis: Int, positive: Bool) -> Character {
        let pairs: [(Character, Character)] = [("L", "R"), ("P", "A"), ("S", "I")]
        return positive ? pairs[worldAxis].0 : pairs[worldAxis].1
    }
}
