using System.Numerics.Tensors;
using System.Text.Json;

namespace ImageEmbed.Storage.Embedded;

/// <summary>
/// One collection held in memory for exact search: vectors row-major in fixed-size blocks (so a scan is
/// a sequence of <see cref="TensorPrimitives.Dot"/> calls over adjacent memory, and growing never copies
/// or over-allocates a huge array), ids, metadata and sources beside them. Readers share a lock;
/// writers take it alone.
/// </summary>
internal sealed class MemoryCollection(string name, string model, int dimensions, DateTimeOffset created)
{
    // Above this many rows a search is split across cores; below it the split costs more than it saves.
    private const int ParallelThreshold = 32_768;
    private const int BlockRows = 16_384;

    private readonly ReaderWriterLockSlim _lock = new();
    private readonly Dictionary<string, int> _rows = new(StringComparer.Ordinal);
    private readonly List<string> _ids = [];
    private readonly List<JsonElement?> _metadata = [];
    private readonly List<string?> _sources = [];
    private readonly List<float[]> _blocks = [];

    public string Name { get; } = name;
    public string Model { get; } = model;
    public int Dimensions { get; } = dimensions;
    public DateTimeOffset Created { get; } = created;

    public CollectionInfo Info
    {
        get
        {
            _lock.EnterReadLock();
            try { return new CollectionInfo(Name, Model, Dimensions, _ids.Count, Created); }
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
                    if (row / BlockRows == _blocks.Count) _blocks.Add(new float[BlockRows * Dimensions]);
                    _rows[item.Id] = row;
                    _ids.Add(item.Id);
                    _metadata.Add(null);
                    _sources.Add(null);
                }
                item.Vector.CopyTo(Row(row));
                _metadata[row] = item.Metadata;
                _sources[row] = item.Source;
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
                Row(last).CopyTo(Row(row));
                _ids[row] = _ids[last];
                _metadata[row] = _metadata[last];
                _sources[row] = _sources[last];
                _rows[_ids[row]] = row;
            }
            _ids.RemoveAt(last);
            _metadata.RemoveAt(last);
            _sources.RemoveAt(last);
            if (last % BlockRows == 0) _blocks.RemoveAt(_blocks.Count - 1);
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

    /// <summary>Exact top-K by dot product (= cosine: vectors are unit length), highest first.</summary>
    public List<SearchHit> Search(SearchQuery query)
    {
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

    private CollectionItem ItemAt(int row) => new(_ids[row], Row(row).ToArray(), _metadata[row], _sources[row]);
}
