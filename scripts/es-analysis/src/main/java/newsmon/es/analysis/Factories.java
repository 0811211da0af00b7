package newsmon.es.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.miscellaneous.EmptyTokenStream;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.analysis.util.ElisionFilter;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.NormalizingTokenFilterFactory;

import java.io.IOException;
import java.util.Locale;
import java.util.function.Function;

/** The analyzer provider and token filter factories the plugin registers. */
final class Factories {
    private Factories() {}

    /** A configured language analyzer: {@code {"type": "english", "stopwords": ..., "stem_exclusion": [...]}}. */
    static final class LanguageAnalyzerProvider extends AbstractIndexAnalyzerProvider<Analyzer> {
        private final Analyzer analyzer;

        LanguageAnalyzerProvider(Environment env, String name, Settings settings, LanguageAnalyzers.Language language) {
            super(name, settings);
            // Analysis.parseStopWords understands "_english_"-style named lists, "_none_", arrays,
            // comma-separated strings, stopwords_path and stopwords_case, as on the full distribution.
            CharArraySet stopWords = Analysis.parseStopWords(env, settings, language.stopWords().get());
            CharArraySet exclusion = language.stemExclusion()
                ? Analysis.parseStemExclusion(settings, CharArraySet.EMPTY_SET)
                : CharArraySet.EMPTY_SET;
            this.analyzer = language.build().apply(stopWords, exclusion);
        }

        @Override
        public Analyzer get() {
            return analyzer;
        }
    }

    /** An analyzer built once from its settings, e.g. {@code {"type": "nori", "decompound_mode": "mixed"}}. */
    static AbstractIndexAnalyzerProvider<Analyzer> analyzer(String name, Settings settings, Analyzer analyzer) {
        return new AbstractIndexAnalyzerProvider<>(name, settings) {
            @Override
            public Analyzer get() {
                return analyzer;
            }
        };
    }

    /** A filter without settings, used as-is at search time too (not for normalizers). */
    static class Plain extends AbstractTokenFilterFactory {
        private final Function<TokenStream, TokenStream> filter;

        Plain(String name, Settings settings, Function<TokenStream, TokenStream> filter) {
            super(name, settings);
            this.filter = filter;
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return filter.apply(tokenStream);
        }
    }

    /** A character-level filter that is also allowed in normalizers and multi-term queries. */
    static final class Normalizing extends Plain implements NormalizingTokenFilterFactory {
        Normalizing(String name, Settings settings, Function<TokenStream, TokenStream> filter) {
            super(name, settings, filter);
        }
    }

    /** {@code stemmer}: {@code language} (or {@code name}), default {@code porter}. */
    static Plain stemmer(String name, Settings settings) {
        String language = settings.get("language", settings.get("name", "porter"));
        Function<TokenStream, TokenStream> filter = Stemmers.forLanguage(language);
        return new Plain(name, settings, filter);
    }

    /** {@code snowball}: {@code language}, default {@code English}; Lucene finds the Snowball stemmer by name. */
    static Plain snowball(String name, Settings settings) throws IOException {
        String language = capitalize(settings.get("language", settings.get("name", "English")));
        // Fail at index creation rather than at the first document.
        new SnowballFilter(new EmptyTokenStream(), language).close();
        return new Plain(name, settings, in -> new SnowballFilter(in, language));
    }

    /** {@code asciifolding}: {@code preserve_original}, default false; never preserves in normalizers. */
    static final class AsciiFolding extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
        private final boolean preserveOriginal;

        AsciiFolding(String name, Settings settings) {
            super(name, settings);
            this.preserveOriginal = settings.getAsBoolean("preserve_original", false);
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return new ASCIIFoldingFilter(tokenStream, preserveOriginal);
        }

        @Override
        public TokenStream normalize(TokenStream tokenStream) {
            return new ASCIIFoldingFilter(tokenStream, false);
        }
    }

    /** {@code elision}: {@code articles} or {@code articles_path} (required), {@code articles_case}. */
    static Normalizing elision(Environment env, String name, Settings settings) {
        CharArraySet articles = Analysis.parseArticles(env, settings);
        if (articles == null) {
            throw new IllegalArgumentException("elision filter requires [articles] or [articles_path] setting");
        }
        return new Normalizing(name, settings, in -> new ElisionFilter(in, articles));
    }

    static String capitalize(String value) {
        if (value.isEmpty()) {
            return value;
        }
        return value.substring(0, 1).toUpperCase(Locale.ROOT) + value.substring(1);
    }
}
