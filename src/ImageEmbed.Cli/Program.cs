using ImageEmbed.Application.Configuration;
using ImageEmbed.Cli.Collections;
using ImageEmbed.Cli.Commands;
using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Imaging.Decode;
using ImageEmbed.Models;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Execution;
using ImageEmbed.Models.Onnx;
using ImageEmbed.Imaging.Vips;
using ImageEmbed.Storage;

namespace ImageEmbed.Cli;

internal static class Program
{
    private static readonly CommandSpec[] Commands = [
        EmbedCommand.Spec, IndexCommand.Spec, SearchCommand.Spec, DedupCommand.Spec, ClusterCommand.Spec,
        ExportCommand.Spec, ImportCommand.Spec, KeysCommand.Spec, ModelsCommand.Spec, TokenizeCommand.Spec, PreprocessCommand.Spec, BenchCommand.Spec,
    ];

    private static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // First Ctrl+C stops cleanly; a second one kills the process the usual way.
            if (cancel.IsCancellationRequested) return;
            e.Cancel = true;
            cancel.Cancel();
        };

        // The service takes its arguments (settings included) as the host reads them.
        if (args.Length > 0 && args[0] == "serve") return await ServeCommand.RunAsync(args[1..]);

        args = Settings.Apply(args); // --Section:Key=value settings may come anywhere
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.Write(GeneralHelp());
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] is "--version" or "version")
        {
            Console.WriteLine($"imageembed {typeof(Program).Assembly.GetName().Version?.ToString(3)} (ONNX Runtime {OnnxRuntimeEnvironment.Version}, libvips {VipsRuntime.Version})");
            return 0;
        }

        CommandSpec? spec = Commands.FirstOrDefault(c => c.Name == args[0]);
        try
        {
            if (spec is null) throw new UsageException($"Unknown command '{args[0]}'. Run 'imageembed --help' for the list.");
            ParsedArgs parsed = spec.Parse(args[1..]);
            if (parsed.Has("help"))
            {
                Console.Write(spec.HelpText());
                return 0;
            }
            return spec.Name switch
            {
                "embed" => await EmbedCommand.RunAsync(parsed, cancel.Token),
                "index" => await IndexCommand.RunAsync(parsed, cancel.Token),
                "search" => await SearchCommand.RunAsync(parsed, cancel.Token),
                "dedup" => await DedupCommand.RunAsync(parsed, cancel.Token),
                "cluster" => await ClusterCommand.RunAsync(parsed, cancel.Token),
                "export" => await ExportCommand.RunAsync(parsed, cancel.Token),
                "import" => await ImportCommand.RunAsync(parsed, cancel.Token),
                "keys" => KeysCommand.Run(parsed),
                "models" => await ModelsCommand.RunAsync(parsed, cancel.Token),
                "tokenize" => TokenizeCommand.Run(parsed),
                "preprocess" => PreprocessCommand.Run(parsed),
                "bench" => await BenchCommand.RunAsync(parsed, cancel.Token),
                _ => throw new UsageException($"Unknown command '{args[0]}'."),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is UnknownModelException or ModelLoadException or DllNotFoundException or ArgumentException or ImageDecodeException or ExecutionProviderException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is CollectionNotFoundException or CollectionConflictException or InvalidStoreRequestException or RemoteException or InvalidDataException or UnsupportedModalityException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
    }

    private static string GeneralHelp()
    {
        var lines = new List<string>
        {
            "imageembed: a self-hosted image-embedding service and command-line tool.",
            "",
            "Usage: imageembed COMMAND [OPTIONS]",
            "",
            "Commands:",
            $"  {"serve",-11} {ServeCommand.Summary}",
        };
        lines.AddRange(Commands.Select(c => $"  {c.Name,-11} {c.Summary}"));
        lines.AddRange(
        [
            "  version     Print versions of ImageEmbed, ONNX Runtime and libvips.",
            "",
            "Run 'imageembed COMMAND --help' for a command's options.",
            "",
            "Settings: appsettings.json beside the executable, then these variables, then --Section:Key=value",
            "arguments (e.g. --Models:MaxBatchSize=16) on any command.",
            "",
            "Environment:",
        ]);
        lines.AddRange(SettingVariables.HelpLines);
        lines.Add("");
        return string.Join(Environment.NewLine, lines);
    }
}
