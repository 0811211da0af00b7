package newsmon.es.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.ar.ArabicAnalyzer;
import org.apache.lucene.analysis.bg.BulgarianAnalyzer;
import org.apache.lucene.analysis.bn.BengaliAnalyzer;
import org.apache.lucene.analysis.br.BrazilianAnalyzer;
import org.apache.lucene.analysis.ca.CatalanAnalyzer;
import org.apache.lucene.analysis.cjk.CJKAnalyzer;
import org.apache.lucene.analysis.ckb.SoraniAnalyzer;
import org.apache.lucene.analysis.cz.CzechAnalyzer;
import org.apache.lucene.analysis.da.DanishAnalyzer;
import org.apache.lucene.analysis.de.GermanAnalyzer;
import org.apache.lucene.analysis.el.GreekAnalyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.es.SpanishAnalyzer;
import org.apache.lucene.analysis.et.EstonianAnalyzer;
import org.apache.lucene.analysis.eu.BasqueAnalyzer;
import org.apache.lucene.analysis.fa.PersianAnalyzer;
import org.apache.lucene.analysis.fi.FinnishAnalyzer;
import org.apache.lucene.analysis.fr.FrenchAnalyzer;
import org.apache.lucene.analysis.ga.IrishAnalyzer;
import org.apache.lucene.analysis.gl.GalicianAnalyzer;
import org.apache.lucene.analysis.hi.HindiAnalyzer;
import org.apache.lucene.analysis.hu.HungarianAnalyzer;
import org.apache.lucene.analysis.hy.ArmenianAnalyzer;
import org.apache.lucene.analysis.id.IndonesianAnalyzer;
import org.apache.lucene.analysis.it.ItalianAnalyzer;
import org.apache.lucene.analysis.lt.LithuanianAnalyzer;
import org.apache.lucene.analysis.lv.LatvianAnalyzer;
import org.apache.lucene.analysis.nl.DutchAnalyzer;
import org.apache.lucene.analysis.no.NorwegianAnalyzer;
import org.apache.lucene.analysis.pt.PortugueseAnalyzer;
import org.apache.lucene.analysis.ro.RomanianAnalyzer;
import org.apache.lucene.analysis.ru.RussianAnalyzer;
import org.apache.lucene.analysis.sv.SwedishAnalyzer;
import org.apache.lucene.analysis.th.ThaiAnalyzer;
import org.apache.lucene.analysis.tr.TurkishAnalyzer;

import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The Lucene language analyzers that Elasticsearch's analysis-common module exposes, by the names it
 * uses. Each entry knows how to build the analyzer with defaults (the bare name in a mapping) and
 * with the {@code stopwords} / {@code stem_exclusion} settings of a configured analyzer.
 *
 * <p>Only names that analysis-common itself registers are listed (Lucene's Serbian, Nepali, Tamil and
 * Telugu analyzers are left out), so an index template that works here also works on the full
 * distribution, and the reverse. The deprecated {@code chinese} analyzer is left out as well.
 */
final class LanguageAnalyzers {
    private LanguageAnalyzers() {}

    /**
     * One language analyzer.
     *
     * @param name          the analyzer type and pre-built name, e.g. {@code english}
     * @param defaults      the analyzer with Lucene's default stop words and no stem exclusions
     * @param stopWords     the default stop set, used when the settings name none
     * @param build         builds the analyzer from the stop set and the stem exclusion set
     * @param stemExclusion whether the analyzer accepts {@code stem_exclusion}
     */
    record Language(
        String name,
        Supplier<Analyzer> defaults,
        Supplier<CharArraySet> stopWords,
        BiFunction<CharArraySet, CharArraySet, Analyzer> build,
        boolean stemExclusion
    ) {}

    private static Language stemming(
        String name,
        Supplier<Analyzer> defaults,
        Supplier<CharArraySet> stopWords,
        BiFunction<CharArraySet, CharArraySet, Analyzer> build
    ) {
        return new Language(name, defaults, stopWords, build, true);
    }

    private static Language stopOnly(
        String name,
        Supplier<Analyzer> defaults,
        Supplier<CharArraySet> stopWords,
        Function<CharArraySet, Analyzer> build
    ) {
        return new Language(name, defaults, stopWords, (stop, exclusion) -> build.apply(stop), false);
    }

    static final List<Language> ALL = List.of(
        stemming("arabic", ArabicAnalyzer::new, ArabicAnalyzer::getDefaultStopSet, ArabicAnalyzer::new),
        stemming("armenian", ArmenianAnalyzer::new, ArmenianAnalyzer::getDefaultStopSet, ArmenianAnalyzer::new),
        stemming("basque", BasqueAnalyzer::new, BasqueAnalyzer::getDefaultStopSet, BasqueAnalyzer::new),
        stemming("bengali", BengaliAnalyzer::new, BengaliAnalyzer::getDefaultStopSet, BengaliAnalyzer::new),
        stemming("brazilian", BrazilianAnalyzer::new, BrazilianAnalyzer::getDefaultStopSet, BrazilianAnalyzer::new),
        stemming("bulgarian", BulgarianAnalyzer::new, BulgarianAnalyzer::getDefaultStopSet, BulgarianAnalyzer::new),
        stemming("catalan", CatalanAnalyzer::new, CatalanAnalyzer::getDefaultStopSet, CatalanAnalyzer::new),
        stopOnly("cjk", CJKAnalyzer::new, CJKAnalyzer::getDefaultStopSet, CJKAnalyzer::new),
        stemming("czech", CzechAnalyzer::new, CzechAnalyzer::getDefaultStopSet, CzechAnalyzer::new),
        stemming("danish", DanishAnalyzer::new, DanishAnalyzer::getDefaultStopSet, DanishAnalyzer::new),
        stemming("dutch", DutchAnalyzer::new, DutchAnalyzer::getDefaultStopSet, DutchAnalyzer::new),
        stemming("english", EnglishAnalyzer::new, EnglishAnalyzer::getDefaultStopSet, EnglishAnalyzer::new),
        stemming("estonian", EstonianAnalyzer::new, EstonianAnalyzer::getDefaultStopSet, EstonianAnalyzer::new),
        stemming("finnish", FinnishAnalyzer::new, FinnishAnalyzer::getDefaultStopSet, FinnishAnalyzer::new),
        stemming("french", FrenchAnalyzer::new, FrenchAnalyzer::getDefaultStopSet, FrenchAnalyzer::new),
        stemming("galician", GalicianAnalyzer::new, GalicianAnalyzer::getDefaultStopSet, GalicianAnalyzer::new),
        stemming("german", GermanAnalyzer::new, GermanAnalyzer::getDefaultStopSet, GermanAnalyzer::new),
        stopOnly("greek", GreekAnalyzer::new, GreekAnalyzer::getDefaultStopSet, GreekAnalyzer::new),
        stemming("hindi", HindiAnalyzer::new, HindiAnalyzer::getDefaultStopSet, HindiAnalyzer::new),
        stemming("hungarian", HungarianAnalyzer::new, HungarianAnalyzer::getDefaultStopSet, HungarianAnalyzer::new),
        stemming("indonesian", IndonesianAnalyzer::new, IndonesianAnalyzer::getDefaultStopSet, IndonesianAnalyzer::new),
        stemming("irish", IrishAnalyzer::new, IrishAnalyzer::getDefaultStopSet, IrishAnalyzer::new),
        stemming("italian", ItalianAnalyzer::new, ItalianAnalyzer::getDefaultStopSet, ItalianAnalyzer::new),
        stemming("latvian", LatvianAnalyzer::new, LatvianAnalyzer::getDefaultStopSet, LatvianAnalyzer::new),
        stemming("lithuanian", LithuanianAnalyzer::new, LithuanianAnalyzer::getDefaultStopSet, LithuanianAnalyzer::new),
        stemming("norwegian", NorwegianAnalyzer::new, NorwegianAnalyzer::getDefaultStopSet, NorwegianAnalyzer::new),
        stopOnly("persian", PersianAnalyzer::new, PersianAnalyzer::getDefaultStopSet, PersianAnalyzer::new),
        stemming("portuguese", PortugueseAnalyzer::new, PortugueseAnalyzer::getDefaultStopSet, PortugueseAnalyzer::new),
        stemming("romanian", RomanianAnalyzer::new, RomanianAnalyzer::getDefaultStopSet, RomanianAnalyzer::new),
        stemming("russian", RussianAnalyzer::new, RussianAnalyzer::getDefaultStopSet, RussianAnalyzer::new),
        stemming("sorani", SoraniAnalyzer::new, SoraniAnalyzer::getDefaultStopSet, SoraniAnalyzer::new),
        stemming("spanish", SpanishAnalyzer::new, SpanishAnalyzer::getDefaultStopSet, SpanishAnalyzer::new),
        stemming("swedish", SwedishAnalyzer::new, SwedishAnalyzer::getDefaultStopSet, SwedishAnalyzer::new),
        stopOnly("thai", ThaiAnalyzer::new, ThaiAnalyzer::getDefaultStopSet, ThaiAnalyzer::new),
        stemming("turkish", TurkishAnalyzer::new, TurkishAnalyzer::getDefaultStopSet, TurkishAnalyzer::new)
    );
}
