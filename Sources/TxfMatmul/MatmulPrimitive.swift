import CDNNL

/// The batch dimension of a batched product: matrices and the elements between them.
struct BatchStrides: Hashable {
    var count: Int
    var a: Int, b: Int, c: Int
}

/// Everything a matmul primitive is specialised for; equal keys share one primitive.
struct PrimitiveKey: Hashable, CustomStringConvertible {
    var layout: GemmLayout
    var batch: BatchStrides?
    var dataType: MatmulDataType
    /// Bit patterns, so that the key hashes the exact constants (and -0 differs from 0).
    var alphaBits: UInt32, betaBits: UInt32
    /// Set when B is a prepared weight in oneDNN's own layout, not the caller's strided matrix.
    var prepared: PreparedLayout?

    init(layout: GemmLayout, batch: BatchStrides? = nil, dataType: MatmulDataType, alpha: Float, beta: Float,
         prepared: PreparedLayout? = nil) {
        self.layout = layout
        self.batch = batch
        self.dataType = dataType
        alphaBits = alpha.bitPattern
        betaBits = beta.bitPattern
        self.prepared = prepared
    }

    var alpha: Float { Float(bitPattern: alphaBits) }
    var beta: Float { Float(bitPattern: betaBits) }

    /// "2048×384×1536 NT bf16, alpha 1, beta 0" (plus the batch when there is one).
    var description: String {
        let batchText = batch.map { "batch \($0.count) of " } ?? ""
        return "\(batchText)\(layout.label) \(dataType.rawValue), alpha \(alpha), beta \(beta)"
            + (prepared == nil ? "" : ", prepared weight")
    }

    /// Plain strided descriptors of op(A) [(batch,) m, k], op(B) [(batch,) k, n] and C [(batch,) m, n].
    func descriptors() throws -> (source: dnnl_memory_desc_t, weights: dnnl_memory_desc_t, destination: dnnl_memory_desc_t) {
        let l = layout
        // A transposed operand is the same row-major buffer read with its two strides swapped.
        var sourceDims = [l.m, l.k], sourceStrides = l.transA ? [1, l.lda] : [l.lda, 1]
        var weightDims = [l.k, l.n], weightStrides = l.transB ? [1, l.ldb] : [l.ldb, 1]
        var destinationDims = [l.m, l.n], destinationStrides = [l.ldc, 1]
        if let batch {
            sourceDims.insert(batch.count, at: 0)
            sourceStrides.insert(batch.a, at: 0)
            weightDims.insert(batch.count, at: 0)
            weightStrides.insert(batch.b, at: 0)
            destinationDims.insert(batch.count, at: 0)
            destinationStrides.insert(batch.c, at: 0)
        }
        let what = description
        return (try stridedDescriptor(dims: sourceDims, strides: sourceStrides, type: dataType, what: what),
                try stridedDescriptor(dims: weightDims, strides: weightStrides, type: dataType, what: what),
                try stridedDescriptor(dims: destinationDims, strides: destinationStrides, type: .f32, what: what))
    }
}

/// One created matmul primitive with the memory objects it runs on (buffers set per call).
final class MatmulPrimitive {
    let context: DNNLContext
    let primitive: dnnl_primitive_t
    let implementation: String
    let source: dnnl_memory_t
    /// nil when B is a prepared weight, which brings its own memory object.
    let weights: dnnl_memory_t?
    let destination: dnnl_memory_t

    init(context: DNNLContext, pd: dnnl_primitive_desc_t, source: dnnl_memory_desc_t, weights: dnnl_memory_desc_t?,
         destination: dnnl_memory_desc_t, what: @autoclosure () -> String) throws {
        self.context = context
        var primitive: dnnl_primitive_t?
        try dnnlCheck(dnnl_primitive_create(&primitive, pd), "dnnl_primitive_create", what())
        self.primitive = primitive!
        implementation = implementationName(pd)
        // A throwing initialiser runs no deinit: release what was made before rethrowing.
        var memories: [dnnl_memory_t] = []
        do {
            memories.append(try context.borrowedMemory(source, what: what()))
            memories.append(try context.borrowedMemory(destination, what: what()))
            if let weights { memories.append(try context.borrowedMemory(weights, what: what())) }
        } catch {
            memories.forEach { dnnl_memory_destroy($0) }
            dnnl_primitive_destroy(primitive)
            throw error
        }
        self.source = memories[0]
        self.destination = memories[1]
        self.weights = weights == nil ? nil : memories[2]
    }

    deinit {
        dnnl_memory_destroy(source)
        dnnl_memory_destroy(destination)
        if let weights { dnnl_memory_destroy(weights) }
        dnnl_primitive_destroy(primitive)
    }
}
