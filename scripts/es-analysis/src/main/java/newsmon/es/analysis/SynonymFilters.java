package newsmon.es.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.miscellaneous.PatternKeywordMarkerFilter;
import org.apache.lucene.analysis.miscellaneous.SetKeywordMarkerFilter;
import org.apache.lucene.analysis.miscellaneous.StemmerOverrideFilter;
import org.apache.lucene.analysis.synonym.SolrSynonymParser;
import org.apache.lucene.analysis.synonym.SynonymGraphFilter;
import org.apache.lucene.analysis.synonym.SynonymMap;
import org.apache.lucene.util.CharsRef;
import org.apache.lucene.util.CharsRefBuilder;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexService.IndexCreationContext;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.CharFilterFactory;
import org.elasticsearch.index.analysis.CustomAnalyzer;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;

import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The synonym and stem-protection filters of analysis-common, under its names and with its
 * settings: {@code synonym_graph} and {@code synonym}, {@code keyword_marker}, {@code stemmer_override}.
 */
final class SynonymFilters {
    private SynonymFilters() {}

    /**
     * {@code synonym_graph} / {@code synonym}: {@code synonyms} (inline list) or {@code synonyms_path},
     * {@code format} ({@code solr} only here), {@code expand} (default true), {@code lenient}
     * (default false: a rule word that the chain removes, e.g. a stop word, is an error).
     *
     * <p>As in analysis-common, the rules are parsed with the analysis chain that precedes the filter in
     * its analyzer (char filters, tokenizer, earlier token filters), so a rule is written in plain
     * words and meets the tokens exactly as the chain produced them (lowercased, stemmed if a stemmer
     * comes first). The factory the registry gets is therefore a template: the node calls
     * {@link #getChainAwareTokenFilterFactory} for each analyzer that uses it, and that returns the
     * factory with the parsed map.
     */
    static final class Synonyms extends AbstractTokenFilterFactory {
        private final Environment env;
        private final Settings settings;
        private final boolean graph;
        private final boolean expand;
        private final boolean lenient;

        Synonyms(Environment env, String name, Settings settings, boolean graph) {
            super(name, settings);
            this.env = env;
            this.settings = settings;
            this.graph = graph;
            this.expand = settings.getAsBoolean("expand", true);
            this.lenient = settings.getAsBoolean("lenient", false);
            String format = settings.get("format", "solr").toLowerCase(Locale.ROOT);
            if (!format.equals("solr")) {
                throw new IllegalArgumentException(
                    "synonym filter [" + name + "]: format [" + format + "] is not supported by newsmon-analysis (only solr)"
                );
            }
            if (settings.getAsBoolean("updateable", false)) {
                throw new IllegalArgumentException("synonym filter [" + name + "]: [updateable] is not supported by newsmon-analysis");
            }
            if (settings.get("synonyms_set") != null) {
                throw new IllegalArgumentException("synonym filter [" + name + "]: [synonyms_set] is not supported by newsmon-analysis");
            }
            if (rules() == null) {
                throw new IllegalArgumentException("synonym requires either `synonyms`, `synonyms_set` or `synonyms_path` to be configured");
            }
        }

        private List<String> rules() {
            return Analysis.getWordList(env, settings, "synonyms");
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            throw new IllegalStateException("synonym filter [" + name() + "] must be specialised for its analysis chain first");
        }

        @Override
        public TokenFilterFactory getChainAwareTokenFilterFactory(
            IndexCreationContext context,
            TokenizerFactory tokenizer,
            List<CharFilterFactory> charFilters,
            List<TokenFilterFactory> previousTokenFilters,
            Function<String, TokenFilterFactory> allFilters
        ) {
            TokenFilterFactory[] chain = previousTokenFilters.stream()
                .map(TokenFilterFactory::getSynonymFilter)
                .toArray(TokenFilterFactory[]::new);
            SynonymMap map;
            try (Analyzer parseWith = new CustomAnalyzer(tokenizer, charFilters.toArray(new CharFilterFactory[0]), chain)) {
                Parser parser = new Parser(expand, lenient, parseWith);
                parser.parse(new StringReader(String.join("\n", rules())));
                map = parser.build();
            } catch (Exception e) {
                throw new IllegalArgumentException("failed to build synonyms for filter [" + name() + "]: " + e.getMessage(), e);
            }
            return new Built(name(), map, graph);
        }

        @Override
        public TokenFilterFactory getSynonymFilter() {
            throw new IllegalArgumentException("Token filter [" + name() + "] cannot be used to parse synonyms");
        }
    }

    /** The filter for one analysis chain: the parsed map, applied with Lucene's synonym filter. */
    private static final class Built implements TokenFilterFactory {
        private final String name;
        private final SynonymMap map;
        private final boolean graph;

        Built(String name, SynonymMap map, boolean graph) {
            this.name = name;
            this.map = map;
            this.graph = graph;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        @SuppressWarnings("deprecation")
        public TokenStream create(TokenStream tokenStream) {
            if (map.fst == null) { // no rules (all skipped as lenient): Lucene refuses an empty map
                return tokenStream;
            }
            // ignoreCase false: the chain before the filter does any lowercasing, on rules and text alike.
            return graph
                ? new SynonymGraphFilter(tokenStream, map, false)
                : new org.apache.lucene.analysis.synonym.SynonymFilter(tokenStream, map, false);
        }

        @Override
        public TokenFilterFactory getSynonymFilter() {
            throw new IllegalArgumentException("Token filter [" + name + "] cannot be used to parse synonyms");
        }
    }

    /**
     * Solr-format rules; when lenient, a rule word the chain turns into nothing is skipped (with the
     * pairs it is part of) instead of failing the whole filter.
     */
    private static final class Parser extends SolrSynonymParser {
        private final boolean lenient;

        Parser(boolean expand, boolean lenient, Analyzer analyzer) {
            super(true, expand, analyzer);
            this.lenient = lenient;
        }

        @Override
        public CharsRef analyze(String text, CharsRefBuilder reuse) throws IOException {
            try {
                return super.analyze(text, reuse);
            } catch (IllegalArgumentException e) {
                if (!lenient) {
                    throw e;
                }
                reuse.clear();
                return reuse.get();
            }
        }

        @Override
        public void add(CharsRef input, CharsRef output, boolean includeOrig) {
            if (lenient && (input.length == 0 || output.length == 0)) {
                return;
            }
            super.add(input, output, includeOrig);
        }
    }

    /**
     * {@code keyword_marker}: {@code keywords} (list) or {@code keywords_path}, with {@code ignore_case}
     * (default false), or {@code keywords_pattern} (a Java regex); marked tokens are left alone by the
     * stemmers after it.
     */
    static TokenFilterFactory keywordMarker(Environment env, String name, Settings settings) {
        boolean ignoreCase = settings.getAsBoolean("ignore_case", false);
        String pattern = settings.get("keywords_pattern");
        List<String> keywords = Analysis.getWordList(env, settings, "keywords");
        if (pattern != null && keywords != null) {
            throw new IllegalArgumentException("cannot specify both `keywords_pattern` and `keywords` or `keywords_path`");
        }
        if (pattern != null) {
            Pattern compiled = Pattern.compile(pattern);
            return new Factories.Plain(name, settings, in -> new PatternKeywordMarkerFilter(in, compiled));
        }
        if (keywords == null) {
            throw new IllegalArgumentException("keyword filter requires either `keywords`, `keywords_path`, or `keywords_pattern` to be set");
        }
        CharArraySet set = new CharArraySet(keywords, ignoreCase);
        return new Factories.Plain(name, settings, in -> new SetKeywordMarkerFilter(in, set));
    }

    /**
     * {@code stemmer_override}: {@code rules} (list) or {@code rules_path}, each {@code a, b => c}: the
     * tokens {@code a} and {@code b} become {@code c} and are marked as keywords (no further stemming).
     */
    static TokenFilterFactory stemmerOverride(Environment env, String name, Settings settings) throws IOException {
        List<String> rules = Analysis.getWordList(env, settings, "rules");
        if (rules == null) {
            throw new IllegalArgumentException("stemmer override filter requires either `rules` or `rules_path` to be configured");
        }
        StemmerOverrideFilter.Builder builder = new StemmerOverrideFilter.Builder(false);
        for (String rule : rules) {
            String[] sides = rule.split("=>", -1);
            if (sides.length != 2 || sides[1].trim().isEmpty()) {
                throw new IllegalArgumentException("Invalid Keyword override Rule:" + rule);
            }
            String override = sides[1].trim();
            if (override.contains(",")) {
                throw new IllegalArgumentException("Invalid Keyword override Rule:" + rule);
            }
            for (String key : sides[0].split(",")) {
                if (key.trim().isEmpty()) {
                    throw new IllegalArgumentException("Invalid Keyword override Rule:" + rule);
                }
                builder.add(key.trim(), override);
            }
        }
        StemmerOverrideFilter.StemmerOverrideMap map = builder.build();
        return new Factories.Plain(name, settings, in -> new StemmerOverrideFilter(in, map));
    }
}
