// A small WebGL2 plot: round points and straight lines in one canvas, 2D or 3D, drawn on demand (no animation
// loop: software rendering here costs ~1 s per frame of 1M points, so we draw only when something changed).
// Every layer goes through one 4×4 matrix (data → clip space); 2D layers get z = 0 from WebGL's attribute defaults.

const POINT_VS = `#version 300 es
in vec4 a_pos; in vec4 a_color;
uniform mat4 u_matrix; uniform float u_size; uniform float u_refW;
out vec4 v_color;
void main() {
  gl_Position = u_matrix * a_pos;
  // With perspective (u_refW > 0) nearer points are drawn larger: size ∝ 1 / depth, clamped.
  gl_PointSize = u_refW > 0.0 ? u_size * clamp(u_refW / gl_Position.w, 0.4, 2.5) : u_size;
  v_color = a_color;
}`;
const POINT_FS = `#version 300 es
precision mediump float;
in vec4 v_color; out vec4 outColor;
void main() {
  vec2 d = gl_PointCoord - vec2(0.5);
  if (dot(d, d) > 0.25) discard;
  outColor = v_color;
}`;
// A line has one color: 'flat' takes it from one vertex instead of interpolating it.
const LINE_VS = `#version 300 es
in vec4 a_pos; in vec4 a_color;
uniform mat4 u_matrix;
flat out vec4 v_color;
void main() {
  gl_Position = u_matrix * a_pos;
  v_color = a_color;
}`;
const LINE_FS = `#version 300 es
precision mediump float;
flat in vec4 v_color; out vec4 outColor;
void main() { outColor = v_color; }`;

/** Column-major 4×4 matrix mapping data coordinates to clip space. */
export type Mat4 = Float32Array;

export const identity = (): Mat4 => new Float32Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);

export interface LayerOptions {
  /** point diameter in CSS px (points only) */
  size?: number;
  /** 2 (x, y) or 3 (x, y, z) floats per vertex */
  dims?: 2 | 3;
  /** drawn over everything before it regardless of depth (selection, search hits, attention lines) */
  onTop?: boolean;
}

interface Layer {
  pos: WebGLBuffer; color: WebGLBuffer; count: number; size: number; dims: 2 | 3; onTop: boolean;
  mode: 'points' | 'lines'; vao: WebGLVertexArrayObject;
}

function compile(gl: WebGL2RenderingContext, vs: string, fs: string): WebGLProgram {
  const program = gl.createProgram()!;
  for (const [type, src] of [[gl.VERTEX_SHADER, vs], [gl.FRAGMENT_SHADER, fs]] as const) {
    const s = gl.createShader(type)!;
    gl.shaderSource(s, src);
    gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s) ?? 'shader error');
    gl.attachShader(program, s);
  }
  gl.bindAttribLocation(program, 0, 'a_pos');
  gl.bindAttribLocation(program, 1, 'a_color');
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(program) ?? 'link error');
  return program;
}

export class Plot {
  readonly canvas: HTMLCanvasElement;
  private gl: WebGL2RenderingContext;
  private pointProgram: WebGLProgram;
  private lineProgram: WebGLProgram;
  /** Layers are drawn in order; each is replaced by name. */
  private layers = new Map<string, Layer>();
  private order: string[] = [];
  private pending = false;
  /** data → clip space */
  matrix: Mat4 = identity();
  /** > 0: perspective; points scale with refW / w (the camera distance), 0: constant size */
  refW = 0;
  /** Frames drawn so far, and a callback after each. */
  frames = 0;
  onDrawn: (() => void) | null = null;

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
    const gl = canvas.getContext('webgl2', { antialias: false, alpha: false, depth: true, preserveDrawingBuffer: false });
    if (!gl) throw new Error('WebGL2 is not available in this browser');
    this.gl = gl;
    this.pointProgram = compile(gl, POINT_VS, POINT_FS);
    this.lineProgram = compile(gl, LINE_VS, LINE_FS);
  }

  /** Device pixels per CSS pixel used for the backing store. */
  get dpr() { return window.devicePixelRatio || 1; }

  /** Size of the canvas in CSS pixels. */
  get cssSize() { return { w: this.canvas.clientWidth, h: this.canvas.clientHeight }; }

  /** positions [n·dims] data coordinates; colors [n·4] RGBA bytes; for lines n is 2 × the number of segments. */
  setLayer(name: string, mode: 'points' | 'lines', positions: Float32Array, colors: Uint8Array, options: LayerOptions = {}) {
    const gl = this.gl;
    const dims = options.dims ?? 2;
    let layer = this.layers.get(name);
    if (!layer) {
      const vao = gl.createVertexArray()!;
      const pos = gl.createBuffer()!, color = gl.createBuffer()!;
      layer = { pos, color, vao, count: 0, size: 1, dims, onTop: false, mode };
      this.layers.set(name, layer);
      this.order.push(name);
    }
    gl.bindVertexArray(layer.vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, layer.pos);
    gl.bufferData(gl.ARRAY_BUFFER, positions, gl.STATIC_DRAW);
    gl.enableVertexAttribArray(0);
    gl.vertexAttribPointer(0, dims, gl.FLOAT, false, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, layer.color);
    gl.bufferData(gl.ARRAY_BUFFER, colors, gl.STATIC_DRAW);
    gl.enableVertexAttribArray(1);
    gl.vertexAttribPointer(1, 4, gl.UNSIGNED_BYTE, true, 0, 0);
    gl.bindVertexArray(null);
    layer.count = positions.length / dims;
    layer.dims = dims;
    layer.size = options.size ?? 1;
    layer.onTop = options.onTop ?? false;
    layer.mode = mode;
    this.requestDraw();
  }

  clearLayer(name: string) {
    const layer = this.layers.get(name);
    if (layer && layer.count) { layer.count = 0; this.requestDraw(); }
  }

  /** Number of points (not line vertices) in the layers now. */
  get pointCount() {
    let n = 0;
    for (const l of this.layers.values()) if (l.mode === 'points') n += l.count;
    return n;
  }

  /** Number of vertices in one layer now. */
  layerCount(name: string) { return this.layers.get(name)?.count ?? 0; }

  /** Schedules one frame (several requests before it coalesce). */
  requestDraw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.draw(); });
  }

  private resize() {
    const w = Math.max(1, Math.round(this.canvas.clientWidth * this.dpr));
    const h = Math.max(1, Math.round(this.canvas.clientHeight * this.dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) { this.canvas.width = w; this.canvas.height = h; }
  }

  draw() {
    this.resize();
    const gl = this.gl;
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.clearColor(1, 1, 1, 1);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    gl.depthFunc(gl.LEQUAL);
    for (const name of this.order) {
      const layer = this.layers.get(name)!;
      if (!layer.count) continue;
      // Depth only matters in 3D (2D layers all sit at z = 0); on-top layers ignore it.
      if (layer.dims === 3 && !layer.onTop) gl.enable(gl.DEPTH_TEST); else gl.disable(gl.DEPTH_TEST);
      const program = layer.mode === 'points' ? this.pointProgram : this.lineProgram;
      gl.useProgram(program);
      gl.uniformMatrix4fv(gl.getUniformLocation(program, 'u_matrix'), false, this.matrix);
      if (layer.mode === 'points') {
        gl.uniform1f(gl.getUniformLocation(program, 'u_size'), layer.size * this.dpr);
        gl.uniform1f(gl.getUniformLocation(program, 'u_refW'), layer.dims === 3 ? this.refW : 0);
      }
      gl.bindVertexArray(layer.vao);
      gl.drawArrays(layer.mode === 'points' ? gl.POINTS : gl.LINES, 0, layer.count);
    }
    gl.bindVertexArray(null);
    this.frames++;
    this.onDrawn?.();
  }

  /** CSS pixel position (relative to the canvas) of a data point, and its clip w (depth; ≤ 0 behind the eye). */
  toScreen(x: number, y: number, z = 0) {
    const m = this.matrix, { w, h } = this.cssSize;
    const cx = m[0] * x + m[4] * y + m[8] * z + m[12];
    const cy = m[1] * x + m[5] * y + m[9] * z + m[13];
    const cw = m[3] * x + m[7] * y + m[11] * z + m[15];
    return { x: (cx / cw + 1) * 0.5 * w, y: (1 - cy / cw) * 0.5 * h, w: cw };
  }
}
