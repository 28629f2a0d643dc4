/**
 * The bundled plugins. This list is the one place that names them; the CLI (the composition root)
 * registers it, and external modules passed with `--plugin` register after it.
 */
import type { PluginDescriptor } from '../src/core/plugin.ts';
import autoBackend from './backend/auto-backend.ts';
import { plugins as tfjsBackends } from './backend/tfjs-backend.ts';
import syntheticWorld from './dataset/synthetic-world-dataset.ts';
import hashMlp from './encoder/hash-mlp-encoder.ts';
import binaryLabels from './label-scheme/binary-label-scheme.ts';
import fsLrLabels from './label-scheme/fs-lr-label-scheme.ts';
import hlaLabels from './label-scheme/hla-label-scheme.ts';
import hInfoNce from './loss/h-info-nce-loss.ts';
import infoNce from './loss/info-nce-loss.ts';
import infoNceExpanded from './loss/info-nce-expanded-loss.ts';
import softmaxCe from './loss/softmax-ce-loss.ts';
import fsLrLoss from './loss/fs-lr-loss.ts';
import nce from './loss/nce-loss.ts';
import mrr from './metric/mrr-metric.ts';
import ndcg from './metric/ndcg-metric.ts';
import recall from './metric/recall-metric.ts';
import searchClicks from './positive-source/search-clicks-positive-source.ts';
import bm25 from './retriever/bm25-retriever.ts';
import denseExact from './retriever/dense-exact-retriever.ts';
import inBatch from './sampler/in-batch-sampler.ts';
import mlflowTracker from './tracker/mlflow-tracker.ts';
import noneTracker from './tracker/none-tracker.ts';

export const bundledPlugins: PluginDescriptor[] = [
  syntheticWorld,
  searchClicks,
  hlaLabels,
  binaryLabels,
  fsLrLabels,
  inBatch,
  hashMlp,
  infoNce,
  hInfoNce,
  infoNceExpanded,
  softmaxCe,
  fsLrLoss,
  nce,
  denseExact,
  bm25,
  recall,
  ndcg,
  mrr,
  mlflowTracker,
  noneTracker,
  autoBackend,
  ...tfjsBackends,
] as PluginDescriptor[];
