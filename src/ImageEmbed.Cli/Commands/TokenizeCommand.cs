using ImageEmbed.Cli.Infrastructure;
using ImageEmbed.Models.Catalog;
using ImageEmbed.Models.Tokenizers;

namespace ImageEmbed.Cli.Commands;

/// <summary><c>imageembed tokenize</c>: token ids of texts, for debugging and counting.</summary>
internal static class TokenizeCommand
{
    private static readonly OptionSpec Tokenizer = new("tokenizer", "t", "PATH", "A Hugging Face tokenizer.json (CLIP's BPE or SigLIP's Unigram), or a folder holding one.");
    private static readonly OptionSpec Model = new("model", "m", "NAME", "Use this installed model's tokenizer instead of --tokenizer.");

    public static readonly CommandSpec Spec = new(
        "tokenize",
        "Print the token ids of each TEXT as a JSON array, one line per text (CLIP byte-level BPE or SigLIP SentencePiece).",
        "tokenize (--tokenizer PATH | --model NAME) TEXT...",
        [Tokenizer, Model],
        """
        Ids include the model's special tokens and are not truncated, so the array length is the text's
        token count (CLIP models read at most 77, start and end included; SigLIP 64, end included). For
        CLIP a literal <|endoftext|> in the text becomes the end token, as in OpenAI's CLIP and
        tokenizer.json (embedding requests read it as text). SigLIP's tokenizer first lower-cases the
        text and removes ASCII punctuation, as SigLIP's reference does. The kind is read from the file
        (model.type BPE or Unigram), or from the model's manifest with --model.

        Example:
          imageembed tokenize --tokenizer ../shared/tokenizers/clip-vit-b32 "a photo of a cat"
          [49406,320,1125,539,320,2368,49407]
        """);

    public static int Run(ParsedArgs args)
    {
        if (args.Positionals.Count == 0) throw new UsageException("Give at least one TEXT to tokenize.");
        (string path, string? type) = args.Get("tokenizer") is string file ? (file, null)
            : TokenizerOf(args.Get("model") ?? throw new UsageException("Give --tokenizer PATH or --model NAME."));
        ITextTokenizer tokenizer;
        try
        {
            tokenizer = TextTokenizers.Load(path, type ?? TextTokenizers.Detect(path));
        }
        catch (Exception e) when (e is TokenizerException or FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UsageException(e.Message);
        }
        foreach (string text in args.Positionals) Console.WriteLine("[" + string.Join(",", tokenizer.Encode(text)) + "]");
        return 0;
    }

    private static (string Path, string Type) TokenizerOf(string model)
    {
        InstalledModel installed = new ModelRegistry(Settings.Models()).Find(model);
        TextEncoderSpec text = installed.Manifest.Text ?? throw new UsageException($"Model '{installed.Name}' is image-only: it has no tokenizer.");
        return (Path.Combine(installed.Directory, text.Tokenizer), text.TokenizerType);
    }
}
