namespace ImageEmbed.Storage;

/// <summary>No collection of that name (404).</summary>
public sealed class CollectionNotFoundException(string name) : Exception($"No collection named '{name}'.")
{
    public string Name { get; } = name;
}

/// <summary>The request conflicts with what the collection is (409): another model, another dimension.</summary>
public sealed class CollectionConflictException(string message) : Exception(message);

/// <summary>A request the store refuses as malformed (400): a bad name or id, a vector of the wrong length.</summary>
public sealed class InvalidStoreRequestException(string message) : Exception(message);
