package newsmon.es.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.ja.JapaneseAnalyzer;
import org.apache.lucene.analysis.ja.JapaneseBaseFormFilter;
import org.apache.lucene.analysis.ja.JapaneseIterationMarkCharFilter;
import org.apache.lucene.analysis.ja.JapaneseKatakanaStemFilter;
import org.apache.lucene.analysis.ja.JapaneseNumberFilter;
import org.apache.lucene.analysis.ja.JapanesePartOfSpeechStopFilter;
import org.apache.lucene.analysis.ja.JapaneseReadingFormFilter;
import org.apache.lucene.analysis.ja.JapaneseTokenizer;
import org.apache.lucene.analysis.ja.dict.UserDictionary;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.analysis.AbstractCharFilterFactory;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.CharFilterFactory;
import org.elasticsearch.index.analysis.NormalizingCharFilterFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;

import java.io.IOException;
import java.io.Reader;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Japanese, as Elastic's analysis-kuromoji plugin registers it, on Lucene's kuromoji module (its
 * IPADIC dictionary ships in the jar).
 *
 * <ul>
 *   <li>analyzer {@code kuromoji}: {@code mode} (default {@code search}: compounds are also split,
 *       the whole compound kept beside its parts), {@code user_dictionary} /
 *       {@code user_dictionary_rules}, {@code stopwords}; base forms, part-of-speech and stop-word
 *       removal, full-width folding, katakana stemming, lower case;
 *   <li>tokenizer {@code kuromoji_tokenizer}: {@code mode}, {@code discard_punctuation} (true),
 *       {@code discard_compound_token} (false), {@code nbest_cost}, the user dictionary settings;
 *   <li>filters {@code kuromoji_baseform}, {@code kuromoji_part_of_speech} ({@code stoptags}),
 *       {@code kuromoji_readingform} ({@code use_romaji}), {@code kuromoji_stemmer}
 *       ({@code minimum_length}, 4), {@code ja_stop} ({@code stopwords}, {@code _japanese_}),
 *       {@code kuromoji_number}; char filter {@code kuromoji_iteration_mark}
 *       ({@code normalize_kanji}, {@code normalize_kana}).
 * </ul>
 */
final class Kuromoji {
    private Kuromoji() {}

    static JapaneseTokenizer.Mode mode(Settings settings) {
        return JapaneseTokenizer.Mode.valueOf(
            settings.get("mode", JapaneseTokenizer.DEFAULT_MODE.name()).toUpperCase(Locale.ROOT)
        );
    }

    static UserDictionary userDictionary(Environment env, Settings settings) {
        Reader rules = UserDictionaries.rules(env, settings);
        if (rules == null) {
            return null;
        }
        try (rules) {
            return UserDictionary.open(rules);
        } catch (IOException e) {
            throw new IllegalArgumentException("failed to load the kuromoji user dictionary", e);
        }
    }

    static void analyzers(Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> out) {
        out.put("kuromoji", (indexSettings, env, name, settings) -> {
            CharArraySet stop = Analysis.parseStopWords(env, settings, JapaneseAnalyzer.getDefaultStopSet());
            return Factories.analyzer(name, settings, new JapaneseAnalyzer(
                userDictionary(env, settings), mode(settings), stop, JapaneseAnalyzer.getDefaultStopTags()
            ));
        });
    }

    static void tokenizers(Map<String, AnalysisProvider<TokenizerFactory>> out) {
        out.put("kuromoji_tokenizer", (indexSettings, env, name, settings) -> {
            UserDictionary dictionary = userDictionary(env, settings);
            JapaneseTokenizer.Mode mode = mode(settings);
            boolean discardPunctuation = settings.getAsBoolean("discard_punctuation", true);
            boolean discardCompound = settings.getAsBoolean("discard_compound_token", false);
            int nbestCost = settings.getAsInt("nbest_cost", -1);
            return TokenizerFactory.newFactory(name, () -> {
                JapaneseTokenizer tokenizer = new JapaneseTokenizer(dictionary, discardPunctuation, discardCompound, mode);
                if (nbestCost >= 0) {
                    tokenizer.setNBestCost(nbestCost);
                }
                return tokenizer;
            });
        });
    }

    static void filters(Map<String, AnalysisProvider<TokenFilterFactory>> out) {
        out.put("kuromoji_baseform", (indexSettings, env, name, settings) -> new Factories.Plain(name, settings, JapaneseBaseFormFilter::new));
        out.put("kuromoji_part_of_speech", (indexSettings, env, name, settings) -> {
            List<String> tags = Analysis.getWordList(env, settings, "stoptags");
            Set<String> stopTags = tags != null ? new HashSet<>(tags) : JapaneseAnalyzer.getDefaultStopTags();
            return new Factories.Plain(name, settings, in -> new JapanesePartOfSpeechStopFilter(in, stopTags));
        });
        out.put("kuromoji_readingform", (indexSettings, env, name, settings) -> {
            boolean romaji = settings.getAsBoolean("use_romaji", false);
            return new Factories.Plain(name, settings, in -> new JapaneseReadingFormFilter(in, romaji));
        });
        out.put("kuromoji_stemmer", (indexSettings, env, name, settings) -> {
            int minimum = settings.getAsInt("minimum_length", JapaneseKatakanaStemFilter.DEFAULT_MINIMUM_LENGTH);
            return new Factories.Plain(name, settings, in -> new JapaneseKatakanaStemFilter(in, minimum));
        });
        out.put("ja_stop", (indexSettings, env, name, settings) -> {
            CharArraySet stop = Analysis.parseWords(
                env, settings, "stopwords", JapaneseAnalyzer.getDefaultStopSet(),
                Map.of("_japanese_", JapaneseAnalyzer.getDefaultStopSet()), settings.getAsBoolean("ignore_case", false)
            );
            return new Factories.Plain(name, settings, in -> new StopFilter(in, stop));
        });
        out.put("kuromoji_number", (indexSettings, env, name, settings) -> new Factories.Plain(name, settings, JapaneseNumberFilter::new));
    }

    static void charFilters(Map<String, AnalysisProvider<CharFilterFactory>> out) {
        out.put("kuromoji_iteration_mark", (indexSettings, env, name, settings) -> new IterationMark(name, settings));
    }

    /** {@code kuromoji_iteration_mark}: 々 and ゝ/ヽ repeat the character before them. */
    private static final class IterationMark extends AbstractCharFilterFactory implements NormalizingCharFilterFactory {
        private final boolean kanji;
        private final boolean kana;

        IterationMark(String name, Settings settings) {
            super(name);
            this.kanji = settings.getAsBoolean("normalize_kanji", JapaneseIterationMarkCharFilter.NORMALIZE_KANJI_DEFAULT);
            this.kana = settings.getAsBoolean("normalize_kana", JapaneseIterationMarkCharFilter.NORMALIZE_KANA_DEFAULT);
        }

        @Override
        public Reader create(Reader reader) {
            return new JapaneseIterationMarkCharFilter(reader, kanji, kana);
        }
    }
}
