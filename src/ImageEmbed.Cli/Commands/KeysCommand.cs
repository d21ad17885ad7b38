using System.Globalization;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Storage.Keys;

namespace ImageEmbed.Cli.Commands;

/// <summary><c>imageembed keys</c>: create, list and revoke the service's API keys (<c>api-keys.json</c>, hashes only).</summary>
internal static class KeysCommand
{
    private static readonly OptionSpec Name = new("name", "n", "TEXT", "keys create: a note to recognise the key by (e.g. who uses it).");
    private static readonly OptionSpec Scope = new("scope", null, "SCOPE", "keys create: what the key may do: embed, read, write or admin (default: admin, everything).");

    public static readonly CommandSpec Spec = new(
        "keys",
        "Create, list and revoke the service's API keys.",
        "keys create [--name TEXT] [--scope SCOPE] | keys list | keys revoke ID",
        [Name, Scope],
        """
        Keys live in api-keys.json in the data folder (IMAGEEMBED_DATA_DIR), the file the service reads.
        Only each key's SHA-256 is stored: 'keys create' prints the new key once, on standard output, and
        it cannot be shown again. A running service picks up created and revoked keys within a second,
        without a restart. Keys given in IMAGEEMBED_API_KEYS are not in the file and are not listed.

        Scopes, each including the ones before it:
          embed   /api/ai/embeddings, /v1/embeddings, /v1/models, /v1/classify
          read    + list, get, search, recommend, duplicates, clusters, map and thumbnails of collections
          write   + create, upsert into and delete collections and items; bulk jobs
          admin   everything (the default)
        A key used outside its scope gets 403 naming the scope it needs.

          keys create [--name TEXT] [--scope SCOPE]   create a key; prints it (stdout) and its id (stderr)
          keys list                   id, created (UTC), scope and name of each stored key; never the key
          keys revoke ID              remove a key by its id (from 'keys list'); exit code 1 if unknown

        Examples:
          KEY=$(imageembed keys create --name ci)
          READER=$(imageembed keys create --name dashboard --scope read)
          imageembed keys list
          imageembed keys revoke 3f9c2a1b7d4e
        """);

    public static int Run(ParsedArgs args)
    {
        string data = Settings.DataDirectory();
        string action = args.Positionals.Count > 0 ? args.Positionals[0] : throw new UsageException("Give an action: create, list or revoke. See 'imageembed keys --help'.");
        switch (action)
        {
            case "create":
                Expect(args, 1, "keys create [--name TEXT] [--scope SCOPE]");
                KeyScope scope = KeyScope.Admin;
                if (args.Get("scope") is { } scopeName && !KeyScopes.TryParse(scopeName, out scope))
                    throw new UsageException($"Unknown scope '{scopeName}': use {KeyScopes.Names}.");
                (string key, StoredApiKey stored) = ApiKeyFile.Create(data, args.Get("name"), scope);
                Console.WriteLine(key);
                Console.Error.WriteLine($"created key {stored.Id} ({scope.Name()} scope) in {ApiKeyFile.PathIn(data)}; it is shown only this once.");
                return 0;
            case "list":
                Expect(args, 1, "keys list");
                if (args.Has("name") || args.Has("scope")) throw new UsageException("--name and --scope are only for 'keys create'.");
                List<StoredApiKey> keys = ApiKeyFile.Read(data);
                if (keys.Count == 0)
                {
                    Console.WriteLine($"no keys in {ApiKeyFile.PathIn(data)}");
                    return 0;
                }
                Console.WriteLine($"{"id",-12}  {"created (UTC)",-19}  {"scope",-5}  name");
                foreach (StoredApiKey k in keys)
                    Console.WriteLine($"{k.Id,-12}  {k.Created.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),-19}  {k.EffectiveScope.Name(),-5}  {k.Name}".TrimEnd());
                return 0;
            case "revoke":
                Expect(args, 2, "keys revoke ID");
                if (args.Has("name") || args.Has("scope")) throw new UsageException("--name and --scope are only for 'keys create'.");
                string id = args.Positionals[1];
                if (!ApiKeyFile.Revoke(data, id))
                {
                    Console.Error.WriteLine($"error: no key with id '{id}' in {ApiKeyFile.PathIn(data)} (see 'imageembed keys list').");
                    return 1;
                }
                Console.Error.WriteLine($"revoked key {id}");
                return 0;
            default:
                throw new UsageException($"Unknown action '{action}': use create, list or revoke.");
        }
    }

    private static void Expect(ParsedArgs args, int count, string usage)
    {
        if (args.Positionals.Count != count) throw new UsageException($"Usage: imageembed {usage}");
    }
}
