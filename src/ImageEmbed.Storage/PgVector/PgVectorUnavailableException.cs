namespace ImageEmbed.Storage.PgVector;

/// <summary>
/// The PostgreSQL server could not be used at open: unreachable, refused the login, or lacks pgvector.
/// The message names the server (host:port/database, never credentials) and the setting to check.
/// </summary>
public sealed class PgVectorUnavailableException(string message, Exception inner) : Exception(message, inner);
