using System.Numerics.Tensors;
using System.Text.Json;

namespace ImageEmbed.Storage.Embedded;

/// <summary>
/// One collection held in memory for exact search: vectors row-major in fixed-size blocks (so a scan is
/// a sequence of <see cref="TensorPrimitives.Dot"/> calls over adjacent memory, and growing never copies
/// or over-allocates a huge array), ids, metadata and sources beside them. Readers share a lock;
/// writers take it alone.
/// </summary>
/// <remarks>
/// With <c>quantized</c>, vectors are held as int8 codes with a per-row scale (a quarter of the memory)
/// and a search ranks every row by the int8 dot product, then re-scores the best
/// <see cref="RescoreCandidates"/> candidates exactly with float vectors read back from the store
/// (<c>fetchVectors</c>). Items read one by one come from the store too.
/// </remarks>
internal sealed class MemoryCollection(string name, string model, int dimensions, DateTimeOffset created, string space,
    Func<IReadOnlyList<string>, Dictionary<string, float[]>>? fetchVectors = null)
{
    // Above this many rows a search is split across cores; below it the split costs more than it saves.
    private const int ParallelThreshold = 32_768;
    private const int BlockRows = 16_384;

    private readonly ReaderWriterLockSlim _lock = new();
    private readonly Dictionary<string, int> _rows = new(StringComparer.Ordinal);
    private readonly List<string> _ids = [];
    private readonly List<JsonElement?> _metadata = [];
    private readonly List<string?> _sources = [];
    private readonly List<(string? ContentHash, ulong? PerceptualHash)> _fingerprints = [];
    private readonly List<float[]> _blocks = [];      // float layout: BlockRows x Dimensions
    private readonly List<sbyte[]> _codes = [];       // int8 layout: BlockRows x Dimensions
    private readonly List<float[]> _scales = [];      // int8 layout: value = code * scale, per row

    public string Name { get; } = name;
    public string Model { get; } = model;
    public int Dimensions { get; } = dimensions;
    public DateTimeOffset Created { get; } = created;
    public string Space { get; } = space;

    /// <summary>True for the int8 layout (vectors live in the store; memory holds codes).</summary>
    public bool Quantized => fetchVectors is not null;

    /// <summary>How many int8-ranked candidates are re-scored exactly: at least this many, or 4 x K.</summary>
    public const int RescoreCandidates = 64;

    public CollectionInfo Info
    {
        get
        {
            _lock.EnterReadLock();
            try { return new CollectionInfo(Name, Model, Dimensions, _ids.Count, Created, Space); }
            finally { _lock.ExitReadLock(); }
        }
    }

    public void Upsert(IReadOnlyList<CollectionItem> items)
    {
        _lock.EnterWriteLock();
        try
        {
            foreach (CollectionItem item in items)
            {
                if (!_rows.TryGetValue(item.Id, out int row))
                {
                    row = _ids.Count;
                    if (row % BlockRows == 0) AddBlock();
                    _rows[item.Id] = row;
                    _ids.Add(item.Id);
                    _metadata.Add(null);
                    _sources.Add(null);
                    _fingerprints.Add(default);
                }
                Store(row, item.Vector);
                _metadata[row] = item.Metadata;
                _sources[row] = item.Source;
                _fingerprints[row] = (item.ContentHash, item.PerceptualHash);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public bool Remove(string id)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_rows.Remove(id, out int row)) return false;
            int last = _ids.Count - 1;
            if (row != last)
            {
                // Keep rows dense: the last row moves into the hole.
                MoveRow(last, row);
                _ids[row] = _ids[last];
                _metadata[row] = _metadata[last];
                _sources[row] = _sources[last];
                _fingerprints[row] = _fingerprints[last];
                _rows[_ids[row]] = row;
            }
            _ids.RemoveAt(last);
            _metadata.RemoveAt(last);
            _sources.RemoveAt(last);
            _fingerprints.RemoveAt(last);
            if (last % BlockRows == 0) RemoveLastBlock();
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public CollectionItem? Get(string id)
    {
        _lock.EnterReadLock();
        try
        {
            return _rows.TryGetValue(id, out int row) ? ItemAt(row) : null;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Every item, sorted by id (ordinal).</summary>
    public List<CollectionItem> Snapshot()
    {
        _lock.EnterReadLock();
        try
        {
            var items = new List<CollectionItem>(_ids.Count);
            for (int row = 0; row < _ids.Count; row++) items.Add(ItemAt(row));
            items.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
            return items;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Top-K by dot product (= cosine: vectors are unit length), highest first; exact scores in both layouts.</summary>
    public List<SearchHit> Search(SearchQuery query)
    {
        if (Quantized) return SearchQuantized(query);
        _lock.EnterReadLock();
        try
        {
            int count = _ids.Count;
            List<(int Row, float Score)> best;
            if (count < ParallelThreshold)
            {
                best = ScanRange(query, 0, count);
            }
            else
            {
                int chunks = Environment.ProcessorCount;
                var partial = new List<(int, float)>[chunks];
                Parallel.For(0, chunks, c => partial[c] = ScanRange(query, (int)((long)count * c / chunks), (int)((long)count * (c + 1) / chunks)));
                best = partial.SelectMany(p => p).ToList();
            }
            best.Sort((a, b) => b.Score.CompareTo(a.Score) is var byScore && byScore != 0 ? byScore : string.CompareOrdinal(_ids[a.Row], _ids[b.Row]));
            var hits = new List<SearchHit>(Math.Min(query.K, best.Count));
            foreach ((int row, float score) in best.Take(query.K)) hits.Add(new SearchHit(_ids[row], score, _metadata[row], _sources[row]));
            return hits;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private List<SearchHit> SearchQuantized(SearchQuery query)
    {
        // 1. Rank every row by the int8 dot product (under the lock), keeping the best candidates.
        sbyte[] q = Quantize(query.Vector, out float qScale);
        List<SearchHit> candidates;
        _lock.EnterReadLock();
        try
        {
            var heap = new PriorityQueue<int, int>();
            // More candidates re-scored exactly means fewer near neighbours lost to int8 rounding; Exact re-scores all.
            int keep = query.Exact ? int.MaxValue : Math.Max(Math.Max(RescoreCandidates, 4 * query.K), query.Candidates ?? 0);
            for (int row = 0; row < _ids.Count;)
            {
                sbyte[] block = _codes[row / BlockRows];
                float[] scales = _scales[row / BlockRows];
                int blockEnd = Math.Min(_ids.Count, (row / BlockRows + 1) * BlockRows);
                for (; row < blockEnd; row++)
                {
                    if (query.Exclude is { } exclude && exclude.Contains(_ids[row])) continue;
                    if (query.Filter is { } filter && !Matches(_metadata[row], filter)) continue;
                    // Fixed-point approximation of the cosine, scaled to an int for the heap.
                    int approx = (int)(Int8Dot.Compute(q, block.AsSpan(row % BlockRows * Dimensions, Dimensions)) * scales[row % BlockRows] * qScale * 1e6f);
                    if (heap.Count < keep) heap.Enqueue(row, approx);
                    else if (heap.TryPeek(out _, out int worst) && approx > worst) heap.EnqueueDequeue(row, approx);
                }
            }
            candidates = new List<SearchHit>(heap.Count);
            while (heap.TryDequeue(out int row, out _)) candidates.Add(new SearchHit(_ids[row], 0, _metadata[row], _sources[row]));
        }
        finally
        {
            _lock.ExitReadLock();
        }

        // 2. Exact scores from the float vectors in the store, outside the lock.
        Dictionary<string, float[]> vectors = fetchVectors!(candidates.Select(c => c.Id).ToList());
        float floor = query.MinScore ?? float.NegativeInfinity;
        return candidates
            .Where(c => vectors.ContainsKey(c.Id)) // deleted meanwhile
            .Select(c => c with { Score = TensorPrimitives.Dot(query.Vector, vectors[c.Id]) })
            .Where(c => c.Score >= floor)
            .OrderByDescending(c => c.Score).ThenBy(c => c.Id, StringComparer.Ordinal)
            .Take(query.K)
            .ToList();
    }

    private void AddBlock()
    {
        if (Quantized)
        {
            _codes.Add(new sbyte[BlockRows * Dimensions]);
            _scales.Add(new float[BlockRows]);
        }
        else
        {
            _blocks.Add(new float[BlockRows * Dimensions]);
        }
    }

    private void RemoveLastBlock()
    {
        if (Quantized)
        {
            _codes.RemoveAt(_codes.Count - 1);
            _scales.RemoveAt(_scales.Count - 1);
        }
        else
        {
            _blocks.RemoveAt(_blocks.Count - 1);
        }
    }

    private void Store(int row, float[] vector)
    {
        if (!Quantized)
        {
            vector.CopyTo(Row(row));
            return;
        }
        Quantize(vector, out float scale).CopyTo(_codes[row / BlockRows].AsSpan(row % BlockRows * Dimensions, Dimensions));
        _scales[row / BlockRows][row % BlockRows] = scale;
    }

    private void MoveRow(int from, int to)
    {
        if (!Quantized)
        {
            Row(from).CopyTo(Row(to));
            return;
        }
        _codes[from / BlockRows].AsSpan(from % BlockRows * Dimensions, Dimensions).CopyTo(_codes[to / BlockRows].AsSpan(to % BlockRows * Dimensions, Dimensions));
        _scales[to / BlockRows][to % BlockRows] = _scales[from / BlockRows][from % BlockRows];
    }

    /// <summary>Symmetric per-vector int8 codes (largest component ±127) and the value of one code step.</summary>
    private static sbyte[] Quantize(float[] vector, out float scale)
    {
        float max = Math.Abs(TensorPrimitives.MaxMagnitude(vector));
        scale = max > 0 ? max / 127f : 0f;
        return ImageEmbed.Models.Embeddings.EmbeddingEncodings.ToInt8(vector);
    }

    private List<(int Row, float Score)> ScanRange(SearchQuery query, int start, int end)
    {
        // A min-heap of the K best so far: its root is the score to beat.
        var heap = new PriorityQueue<int, float>(query.K + 1);
        ReadOnlySpan<float> q = query.Vector;
        float floor = query.MinScore ?? float.NegativeInfinity;
        for (int row = start; row < end;)
        {
            // One block at a time: its rows are adjacent, so the inner loop is pure span arithmetic.
            ReadOnlySpan<float> block = _blocks[row / BlockRows];
            int blockEnd = Math.Min(end, (row / BlockRows + 1) * BlockRows);
            for (; row < blockEnd; row++)
            {
                if (query.Exclude is { } exclude && exclude.Contains(_ids[row])) continue;
                if (query.Filter is { } filter && !Matches(_metadata[row], filter)) continue;
                float score = TensorPrimitives.Dot(q, block.Slice(row % BlockRows * Dimensions, Dimensions));
                if (score < floor) continue;
                if (heap.Count < query.K) heap.Enqueue(row, score);
                else if (heap.TryPeek(out _, out float worst) && score > worst) heap.EnqueueDequeue(row, score);
            }
        }
        var result = new List<(int, float)>(heap.Count);
        while (heap.TryDequeue(out int row, out float score)) result.Add((row, score));
        return result;
    }

    private static bool Matches(JsonElement? metadata, IReadOnlyDictionary<string, JsonElement> filter)
    {
        if (metadata is not { ValueKind: JsonValueKind.Object } m) return false;
        foreach ((string key, JsonElement expected) in filter)
            if (!m.TryGetProperty(key, out JsonElement actual) || !JsonElement.DeepEquals(actual, expected)) return false;
        return true;
    }

    private Span<float> Row(int row) => _blocks[row / BlockRows].AsSpan(row % BlockRows * Dimensions, Dimensions);

    private CollectionItem ItemAt(int row) => new(_ids[row], Row(row).ToArray(), _metadata[row], _sources[row], _fingerprints[row].ContentHash, _fingerprints[row].PerceptualHash);
}
