using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace ImageEmbed.ModelTools.Import;

/// <summary>
/// Reads a JavaScript object literal, as minifiers write them, into a <see cref="JsonNode"/> tree:
/// unquoted keys, single- or double-quoted strings with escapes, numbers such as <c>.5</c> or
/// <c>-1e-3</c>, <c>!0</c>/<c>!1</c> for true/false, <c>true</c>, <c>false</c>, <c>null</c>,
/// <c>undefined</c>, <c>NaN</c>, <c>Infinity</c>, trailing commas and comments. It evaluates
/// nothing: any other expression is a <see cref="FormatException"/>. Numbers become doubles.
/// Thread-safe (no shared state).
/// </summary>
public static class JsObjectReader
{
    /// <summary>Nesting deeper than this is refused, so hostile input cannot exhaust the stack.</summary>
    public const int MaxDepth = 128;

    /// <summary>Reads the whole of <paramref name="text"/> as one value (surrounding whitespace allowed).</summary>
    /// <exception cref="FormatException">The text is not one literal; the message gives the offset.</exception>
    public static JsonNode? Parse(string text)
    {
        int position = 0;
        JsonNode? value = Parse(text, ref position);
        var parser = new Parser(text, position);
        parser.SkipWhitespace();
        if (parser.Position < text.Length) throw parser.Error("unexpected text after the value");
        return value;
    }

    /// <summary>
    /// Reads one value starting at <paramref name="position"/> (leading whitespace allowed) and moves
    /// <paramref name="position"/> just past it; whatever follows is left alone.
    /// </summary>
    /// <exception cref="FormatException">No literal starts there; the message gives the offset.</exception>
    public static JsonNode? Parse(string text, ref int position)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(position, text.Length);
        var parser = new Parser(text, position);
        JsonNode? value = parser.ReadValue(0);
        position = parser.Position;
        return value;
    }

    private ref struct Parser(string text, int position)
    {
        private readonly string _text = text;

        public int Position { get; private set; } = position;

        public JsonNode? ReadValue(int depth)
        {
            if (depth > MaxDepth) throw Error($"nesting deeper than {MaxDepth}");
            SkipWhitespace();
            if (Position >= _text.Length) throw Error("unexpected end of text");
            char c = _text[Position];
            switch (c)
            {
                case '{': return ReadObject(depth);
                case '[': return ReadArray(depth);
                case '"' or '\'': return JsonValue.Create(ReadString());
                case '!':
                    // Minifiers write true as !0 and false as !1.
                    if (Position + 1 < _text.Length && _text[Position + 1] is '0' or '1')
                    {
                        bool value = _text[Position + 1] == '0';
                        Position += 2;
                        return JsonValue.Create(value);
                    }
                    throw Error("only !0 and !1 are understood after '!'");
                case '-' or '+' or '.' or (>= '0' and <= '9'): return JsonValue.Create(ReadNumber());
            }
            if (IsIdentifierStart(c))
            {
                int start = Position;
                string word = ReadIdentifier();
                switch (word)
                {
                    case "true": return JsonValue.Create(true);
                    case "false": return JsonValue.Create(false);
                    case "null" or "undefined": return null;
                    case "NaN": return JsonValue.Create(double.NaN);
                    case "Infinity": return JsonValue.Create(double.PositiveInfinity);
                }
                Position = start;
                throw Error($"'{word}' is an expression, not a literal");
            }
            throw Error($"unexpected '{c}'");
        }

        private JsonObject ReadObject(int depth)
        {
            Position++; // '{'
            var result = new JsonObject();
            while (true)
            {
                SkipWhitespace();
                if (Position >= _text.Length) throw Error("unterminated object");
                if (_text[Position] == '}')
                {
                    Position++;
                    return result;
                }
                string key = ReadKey();
                SkipWhitespace();
                if (Position >= _text.Length || _text[Position] != ':') throw Error($"expected ':' after key '{key}'");
                Position++;
                result[key] = ReadValue(depth + 1); // a repeated key replaces the earlier one, as in JavaScript
                SkipWhitespace();
                if (Position >= _text.Length) throw Error("unterminated object");
                if (_text[Position] == ',') Position++;
                else if (_text[Position] != '}') throw Error("expected ',' or '}' in object");
            }
        }

        private JsonArray ReadArray(int depth)
        {
            Position++; // '['
            var result = new JsonArray();
            while (true)
            {
                SkipWhitespace();
                if (Position >= _text.Length) throw Error("unterminated array");
                if (_text[Position] == ']')
                {
                    Position++;
                    return result;
                }
                result.Add(ReadValue(depth + 1));
                SkipWhitespace();
                if (Position >= _text.Length) throw Error("unterminated array");
                if (_text[Position] == ',') Position++;
                else if (_text[Position] != ']') throw Error("expected ',' or ']' in array");
            }
        }

        private string ReadKey()
        {
            char c = _text[Position];
            if (c is '"' or '\'') return ReadString();
            if (IsIdentifierStart(c)) return ReadIdentifier();
            if (c is >= '0' and <= '9' or '.')
            {
                double number = ReadNumber();
                return number.ToString(CultureInfo.InvariantCulture); // JavaScript turns numeric keys into strings too
            }
            throw Error($"unexpected '{c}' where a key should be");
        }

        private string ReadIdentifier()
        {
            int start = Position;
            while (Position < _text.Length && IsIdentifierPart(_text[Position])) Position++;
            return _text[start..Position];
        }

        private string ReadString()
        {
            char quote = _text[Position];
            int start = ++Position;
            // Fast path: no escapes, so the string is a plain slice.
            while (Position < _text.Length && _text[Position] != quote && _text[Position] != '\\' && _text[Position] != '\n') Position++;
            if (Position < _text.Length && _text[Position] == quote) return _text[start..Position++];

            var builder = new StringBuilder(_text, start, Position - start, Position - start + 16);
            while (true)
            {
                if (Position >= _text.Length || _text[Position] == '\n') throw Error("unterminated string");
                char c = _text[Position++];
                if (c == quote) return builder.ToString();
                if (c != '\\')
                {
                    builder.Append(c);
                    continue;
                }
                if (Position >= _text.Length) throw Error("unterminated string");
                char e = _text[Position++];
                switch (e)
                {
                    case 'n': builder.Append('\n'); break;
                    case 't': builder.Append('\t'); break;
                    case 'r': builder.Append('\r'); break;
                    case 'b': builder.Append('\b'); break;
                    case 'f': builder.Append('\f'); break;
                    case 'v': builder.Append('\v'); break;
                    case '0' when Position >= _text.Length || !char.IsAsciiDigit(_text[Position]): builder.Append('\0'); break;
                    case 'x': builder.Append((char)ReadHex(2)); break;
                    case 'u':
                        if (Position < _text.Length && _text[Position] == '{')
                        {
                            int end = _text.IndexOf('}', Position);
                            if (end < 0 || end - Position - 1 is < 1 or > 6) throw Error("bad \\u{...} escape");
                            int codePoint = int.Parse(_text.AsSpan(Position + 1, end - Position - 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                            if (codePoint > 0x10FFFF) throw Error("bad \\u{...} escape");
                            builder.Append(char.ConvertFromUtf32(codePoint));
                            Position = end + 1;
                        }
                        else
                        {
                            builder.Append((char)ReadHex(4));
                        }
                        break;
                    case '\r':
                        if (Position < _text.Length && _text[Position] == '\n') Position++; // line continuation
                        break;
                    case '\n': break; // line continuation
                    default: builder.Append(e); break; // \" \' \\ \/ and any other character stand for themselves
                }
            }
        }

        private int ReadHex(int digits)
        {
            if (Position + digits > _text.Length ||
                !int.TryParse(_text.AsSpan(Position, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int value))
                throw Error("bad hexadecimal escape");
            Position += digits;
            return value;
        }

        private double ReadNumber()
        {
            int start = Position;
            bool negative = false;
            if (_text[Position] is '-' or '+')
            {
                negative = _text[Position] == '-';
                Position++;
            }
            if (string.CompareOrdinal(_text, Position, "Infinity", 0, 8) == 0)
            {
                Position += 8;
                return negative ? double.NegativeInfinity : double.PositiveInfinity;
            }
            if (Position + 1 < _text.Length && _text[Position] == '0' && _text[Position + 1] is 'x' or 'X')
            {
                int digitsStart = Position += 2;
                while (Position < _text.Length && char.IsAsciiHexDigit(_text[Position])) Position++;
                if (Position == digitsStart || !ulong.TryParse(_text.AsSpan(digitsStart, Position - digitsStart), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong hex))
                    throw ErrorAt(start, "bad hexadecimal number");
                return negative ? -(double)hex : hex;
            }
            while (Position < _text.Length && char.IsAsciiDigit(_text[Position])) Position++;
            if (Position < _text.Length && _text[Position] == '.')
            {
                Position++;
                while (Position < _text.Length && char.IsAsciiDigit(_text[Position])) Position++;
            }
            if (Position < _text.Length && _text[Position] is 'e' or 'E')
            {
                Position++;
                if (Position < _text.Length && _text[Position] is '+' or '-') Position++;
                while (Position < _text.Length && char.IsAsciiDigit(_text[Position])) Position++;
            }
            if (!double.TryParse(_text.AsSpan(start, Position - start), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                throw ErrorAt(start, $"bad number '{_text[start..Position]}'");
            return value;
        }

        public void SkipWhitespace()
        {
            while (Position < _text.Length)
            {
                char c = _text[Position];
                if (char.IsWhiteSpace(c) || c == '\uFEFF')
                {
                    Position++;
                }
                else if (c == '/' && Position + 1 < _text.Length && _text[Position + 1] == '/')
                {
                    int end = _text.IndexOf('\n', Position);
                    Position = end < 0 ? _text.Length : end + 1;
                }
                else if (c == '/' && Position + 1 < _text.Length && _text[Position + 1] == '*')
                {
                    int end = _text.IndexOf("*/", Position + 2, StringComparison.Ordinal);
                    if (end < 0) throw Error("unterminated comment");
                    Position = end + 2;
                }
                else
                {
                    return;
                }
            }
        }

        public readonly FormatException Error(string problem) => ErrorAt(Position, problem);

        private readonly FormatException ErrorAt(int offset, string problem) =>
            new($"JavaScript literal: {problem} at offset {offset}.");

        private static bool IsIdentifierStart(char c) => char.IsAsciiLetter(c) || c is '_' or '$';

        private static bool IsIdentifierPart(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '$';
    }
}
