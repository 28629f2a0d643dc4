/**
 * The bundled plugins. This list is the one place that names them; the CLI (the composition root)
 * registers it, and external modules passed with `--plugin` register after it.
 */
import type { PluginDescriptor } from '../src/core/plugin.ts';
import autoBackend from './backend/auto-backend.ts';
import cpuBackend from './backend/cpu-backend.ts';
import tensorflowBackend from './backend/tensorflow-backend.ts';
import tensorflowGpuBackend from './backend/tensorflow-gpu-backend.ts';
import wasmBackend from './backend/wasm-backend.ts';
import webgpuBackend from './backend/webgpu-backend.ts';
import kuaisar from './dataset/kuaisar-dataset.ts';
import logFiles from './dataset/log-files-dataset.ts';
import syntheticWorld from './dataset/synthetic-world-dataset.ts';
import denseTeacher from './discriminator/dense-teacher-discriminator.ts';
import lexicalDiscriminator from './discriminator/lexical-discriminator.ts';
import oracleDiscriminator from './discriminator/oracle-discriminator.ts';
import hashMlp from './encoder/hash-mlp-encoder.ts';
import transformer from './encoder/transformer-encoder.ts';
import binaryLabels from './label-scheme/binary-label-scheme.ts';
import fsLrLabels from './label-scheme/fs-lr-label-scheme.ts';
import hlaLabels from './label-scheme/hla-label-scheme.ts';
import openAiCompatibleLlm from './llm/openai-compatible-llm.ts';
import replayLlm from './llm/replay-llm.ts';
import worldKnowledgeLlm from './llm/world-knowledge-llm.ts';
import hInfoNce from './loss/h-info-nce-loss.ts';
import infoNce from './loss/info-nce-loss.ts';
import infoNceExpanded from './loss/info-nce-expanded-loss.ts';
import softmaxCe from './loss/softmax-ce-loss.ts';
import fsLrLoss from './loss/fs-lr-loss.ts';
import nce from './loss/nce-loss.ts';
import mrr from './metric/mrr-metric.ts';
import ndcg from './metric/ndcg-metric.ts';
import recall from './metric/recall-metric.ts';
import llmKnowledge from './positive-source/llm-knowledge-positive-source.ts';
import queryReformulation from './positive-source/query-reformulation-positive-source.ts';
import recommendationFeed from './positive-source/recommendation-feed-positive-source.ts';
import searchClicks from './positive-source/search-clicks-positive-source.ts';
import bm25 from './retriever/bm25-retriever.ts';
import denseExact from './retriever/dense-exact-retriever.ts';
import adore from './sampler/adore-sampler.ts';
import annRefresh from './sampler/ann-refresh-sampler.ts';
import inBatch from './sampler/in-batch-sampler.ts';
import staticHard from './sampler/static-hard-sampler.ts';
import triSampler from './sampler/trisampler-sampler.ts';
import mlflowTracker from './tracker/mlflow-tracker.ts';
import noneTracker from './tracker/none-tracker.ts';

export const bundledPlugins: PluginDescriptor[] = [
  syntheticWorld,
  logFiles,
  kuaisar,
  searchClicks,
  queryReformulation,
  recommendationFeed,
  llmKnowledge,
  oracleDiscriminator,
  lexicalDiscriminator,
  denseTeacher,
  worldKnowledgeLlm,
  openAiCompatibleLlm,
  replayLlm,
  hlaLabels,
  binaryLabels,
  fsLrLabels,
  inBatch,
  staticHard,
  annRefresh,
  adore,
  triSampler,
  hashMlp,
  transformer,
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
  wasmBackend,
  cpuBackend,
  tensorflowBackend,
  tensorflowGpuBackend,
  webgpuBackend,
] as PluginDescriptor[];
