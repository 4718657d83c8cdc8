/// Small dense linear systems in Float32 (UniPC's order conditions, at most 3 × 3), by Gaussian
/// elimination with partial pivoting as LAPACK's `sgesv` does.
enum LinearSolve {
    static func solve(_ matrix: [[Float]], _ rightHandSide: [Float]) -> [Float] {
        var a = matrix, b = rightHandSide
        let n = b.count
        for k in 0..<n {
            var pivot = k
            for i in (k + 1)..<max(n, k + 1) where abs(a[i][k]) > abs(a[pivot][k]) { pivot = i }
            if pivot != k { a.swapAt(pivot, k); b.swapAt(pivot, k) }
            for i in (k + 1)..<max(n, k + 1) {
                let factor = a[i][k] / a[k][k]
                for j in (k + 1)..<n { a[i][j] -= factor * a[k][j] }
                b[i] -= factor * b[k]
            }
        }
        var x = [Float](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = b[i]
            for j in (i + 1)..<max(n, i + 1) { sum -= a[i][j] * x[j] }
            x[i] = sum / a[i][i]
        }
        return x
    }
}
