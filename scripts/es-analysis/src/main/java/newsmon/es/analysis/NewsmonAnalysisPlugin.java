package newsmon.es.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.ar.ArabicNormalizationFilter;
import org.apache.lucene.analysis.ar.ArabicStemFilter;
import org.apache.lucene.analysis.br.BrazilianStemFilter;
import org.apache.lucene.analysis.cz.CzechStemFilter;
import org.apache.lucene.analysis.de.GermanStemFilter;
import org.apache.lucene.analysis.bn.BengaliNormalizationFilter;
import org.apache.lucene.analysis.cjk.CJKWidthFilter;
import org.apache.lucene.analysis.ckb.SoraniNormalizationFilter;
import org.apache.lucene.analysis.core.DecimalDigitFilter;
import org.apache.lucene.analysis.de.GermanNormalizationFilter;
import org.apache.lucene.analysis.en.KStemFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.fa.PersianNormalizationFilter;
import org.apache.lucene.analysis.fa.PersianStemFilter;
import org.apache.lucene.analysis.fr.FrenchAnalyzer;
import org.apache.lucene.analysis.hi.HindiNormalizationFilter;
import org.apache.lucene.analysis.in.IndicNormalizationFilter;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.miscellaneous.ScandinavianFoldingFilter;
import org.apache.lucene.analysis.miscellaneous.ScandinavianNormalizationFilter;
import org.apache.lucene.analysis.snowball.SnowballFilter;
import org.apache.lucene.analysis.sr.SerbianNormalizationFilter;
import org.apache.lucene.analysis.util.ElisionFilter;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.CharFilterFactory;
import org.elasticsearch.index.analysis.PreBuiltAnalyzerProviderFactory;
import org.elasticsearch.index.analysis.PreConfiguredTokenFilter;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.indices.analysis.PreBuiltCacheFactory.CachingStrategy;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;
import org.tartarus.snowball.ext.DutchStemmer;
import org.tartarus.snowball.ext.FrenchStemmer;
import org.tartarus.snowball.ext.RussianStemmer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Language analysis for the local node, under analysis-common's names and on the same Lucene classes.
 *
 * <ul>
 *   <li>Analyzers ({@code english}, {@code french}, ... see {@link LanguageAnalyzers}): as a bare
 *       name in a mapping and as a configured type with {@code stopwords} / {@code stem_exclusion}.
 *   <li>Token filters, configured and pre-built: {@code stemmer}, {@code snowball},
 *       {@code porter_stem}, {@code kstem}, the {@code *_stem} filters, {@code asciifolding},
 *       {@code elision}, {@code cjk_width}, {@code decimal_digit} and the {@code *_normalization} /
 *       {@code scandinavian_folding} filters.
 *   <li>Configured only (they need settings), see {@link SynonymFilters}: {@code synonym_graph} and
 *       {@code synonym} (Solr-format rules parsed with the analyzer's preceding chain),
 *       {@code keyword_marker}, {@code stemmer_override}.
 * </ul>
 *
 * <p>And the analyzers, tokenizers and filters of Elastic's official language plugins, under their
 * names ({@link Smartcn}, {@link Kuromoji}, {@link Nori}, {@link Ukrainian}), on the Lucene modules
 * those plugins are made of, so one index template serves the local node and a full distribution
 * with analysis-smartcn, analysis-kuromoji, analysis-nori and analysis-ukrainian installed.
 *
 * <p>Never install this next to analysis-common or those plugins (the full distribution): the names
 * would be registered twice and the node would refuse to start.
 */
public final class NewsmonAnalysisPlugin extends Plugin implements AnalysisPlugin {

    /**
     * Filters without settings: name, Lucene filter, whether it is character-level (allowed in
     * normalizers), whether analysis-common also has it as a bare (pre-built) name.
     */
    private record Simple(String name, Function<TokenStream, TokenStream> filter, boolean normalizing, boolean prebuilt) {}

    private static final List<Simple> SIMPLE = List.of(
        new Simple("porter_stem", PorterStemFilter::new, false, true),
        new Simple("kstem", KStemFilter::new, false, true),
        new Simple("arabic_stem", ArabicStemFilter::new, false, true),
        new Simple("brazilian_stem", BrazilianStemFilter::new, false, true),
        new Simple("czech_stem", CzechStemFilter::new, false, true),
        new Simple("dutch_stem", in -> new SnowballFilter(in, new DutchStemmer()), false, true),
        new Simple("french_stem", in -> new SnowballFilter(in, new FrenchStemmer()), false, true),
        new Simple("german_stem", GermanStemFilter::new, false, true),
        new Simple("russian_stem", in -> new SnowballFilter(in, new RussianStemmer()), false, true),
        new Simple("persian_stem", PersianStemFilter::new, false, false),
        new Simple("arabic_normalization", ArabicNormalizationFilter::new, true, true),
        new Simple("bengali_normalization", BengaliNormalizationFilter::new, true, true),
        new Simple("german_normalization", GermanNormalizationFilter::new, true, true),
        new Simple("hindi_normalization", HindiNormalizationFilter::new, true, true),
        new Simple("indic_normalization", IndicNormalizationFilter::new, true, true),
        new Simple("persian_normalization", PersianNormalizationFilter::new, true, true),
        new Simple("scandinavian_folding", ScandinavianFoldingFilter::new, true, true),
        new Simple("scandinavian_normalization", ScandinavianNormalizationFilter::new, true, true),
        new Simple("serbian_normalization", SerbianNormalizationFilter::new, true, false),
        new Simple("sorani_normalization", SoraniNormalizationFilter::new, true, true),
        new Simple("cjk_width", CJKWidthFilter::new, true, true),
        new Simple("decimal_digit", DecimalDigitFilter::new, true, true)
    );

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> analyzers = new TreeMap<>();
        for (LanguageAnalyzers.Language language : LanguageAnalyzers.ALL) {
            analyzers.put(
                language.name(),
                (indexSettings, env, name, settings) -> new Factories.LanguageAnalyzerProvider(env, name, settings, language)
            );
        }
        Smartcn.analyzers(analyzers);
        Kuromoji.analyzers(analyzers);
        Nori.analyzers(analyzers);
        Ukrainian.analyzers(analyzers);
        return analyzers;
    }

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        Map<String, AnalysisProvider<TokenizerFactory>> tokenizers = new TreeMap<>();
        Smartcn.tokenizers(tokenizers);
        Kuromoji.tokenizers(tokenizers);
        Nori.tokenizers(tokenizers);
        return tokenizers;
    }

    @Override
    public Map<String, AnalysisProvider<CharFilterFactory>> getCharFilters() {
        Map<String, AnalysisProvider<CharFilterFactory>> charFilters = new TreeMap<>();
        Kuromoji.charFilters(charFilters);
        return charFilters;
    }

    @Override
    public List<PreBuiltAnalyzerProviderFactory> getPreBuiltAnalyzerProviderFactories() {
        List<PreBuiltAnalyzerProviderFactory> analyzers = new ArrayList<>();
        for (LanguageAnalyzers.Language language : LanguageAnalyzers.ALL) {
            analyzers.add(new PreBuiltAnalyzerProviderFactory(language.name(), CachingStrategy.LUCENE, language.defaults()));
        }
        return analyzers;
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        Map<String, AnalysisProvider<TokenFilterFactory>> filters = new TreeMap<>();
        filters.put("stemmer", (indexSettings, env, name, settings) -> Factories.stemmer(name, settings));
        filters.put("snowball", (indexSettings, env, name, settings) -> Factories.snowball(name, settings));
        filters.put("asciifolding", (indexSettings, env, name, settings) -> new Factories.AsciiFolding(name, settings));
        filters.put(
            "elision",
            AnalysisPlugin.requiresAnalysisSettings((indexSettings, env, name, settings) -> Factories.elision(env, name, settings))
        );
        filters.put(
            "synonym_graph",
            AnalysisPlugin.requiresAnalysisSettings(
                (indexSettings, env, name, settings) -> new SynonymFilters.Synonyms(env, name, settings, true)
            )
        );
        filters.put(
            "synonym",
            AnalysisPlugin.requiresAnalysisSettings(
                (indexSettings, env, name, settings) -> new SynonymFilters.Synonyms(env, name, settings, false)
            )
        );
        filters.put(
            "keyword_marker",
            AnalysisPlugin.requiresAnalysisSettings((indexSettings, env, name, settings) -> SynonymFilters.keywordMarker(env, name, settings))
        );
        filters.put(
            "stemmer_override",
            AnalysisPlugin.requiresAnalysisSettings(
                (indexSettings, env, name, settings) -> SynonymFilters.stemmerOverride(env, name, settings)
            )
        );
        for (Simple simple : SIMPLE) {
            filters.put(
                simple.name(),
                (indexSettings, env, name, settings) -> simple.normalizing()
                    ? new Factories.Normalizing(name, settings, simple.filter())
                    : new Factories.Plain(name, settings, simple.filter())
            );
        }
        Smartcn.filters(filters);
        Kuromoji.filters(filters);
        Nori.filters(filters);
        return filters;
    }

    @Override
    public List<PreConfiguredTokenFilter> getPreConfiguredTokenFilters() {
        List<PreConfiguredTokenFilter> filters = new ArrayList<>();
        // The bare names behave as analysis-common's: "stemmer" is Porter, "snowball" is English,
        // "elision" strips the French articles.
        filters.add(PreConfiguredTokenFilter.singleton("stemmer", false, PorterStemFilter::new));
        filters.add(PreConfiguredTokenFilter.singleton("snowball", false, in -> new SnowballFilter(in, "English")));
        filters.add(PreConfiguredTokenFilter.singleton("asciifolding", true, ASCIIFoldingFilter::new));
        filters.add(
            PreConfiguredTokenFilter.singleton("elision", true, in -> new ElisionFilter(in, FrenchAnalyzer.DEFAULT_ARTICLES))
        );
        for (Simple simple : SIMPLE) {
            if (simple.prebuilt()) {
                filters.add(PreConfiguredTokenFilter.singleton(simple.name(), simple.normalizing(), simple.filter()));
            }
        }
        return filters;
    }
}
