import Testing
@testable import TensorModule

@Suite("BLAS loading and diagnostics")
struct BLASDiagnosticsTests {
    @Test("OpenBLAS loads and reports a kernel and thread count")
    func reportsKernel() throws {
        let diagnostics = try BLASDiagnostics.current()
        #expect(!diagnostics.blasCore.isEmpty)
        #expect(diagnostics.blasCore != "unknown")
        #expect(diagnostics.threads >= 1)
    }

    @Test("The chosen kernel uses the widest vector ISA the CPU offers")
    func kernelMatchesMachine() throws {
        let diagnostics = try BLASDiagnostics.current()
        let machine = Int(sd_x86_vector_tier_for_tests())
        guard machine >= 1, let kernelTier = OpenBLAS.vectorTier(ofCore: diagnostics.blasCore) else { return }
        #expect(kernelTier >= machine, "kernel \(diagnostics.blasCore) is weaker than the CPU (tier \(machine)): \(diagnostics.kernelSelection)")
    }

    @Test("Core names map to vector tiers")
    func coreTable() {
        #expect(OpenBLAS.vectorTier(ofCore: "Prescott") == 0)
        #expect(OpenBLAS.vectorTier(ofCore: "SkylakeX") == 3)
        #expect(OpenBLAS.vectorTier(ofCore: "Haswell") == 2)
        #expect(OpenBLAS.vectorTier(ofCore: "SomethingNew") == nil)
        #expect(OpenBLAS.bestCore(forTier: 3) == "SkylakeX")
    }
}
