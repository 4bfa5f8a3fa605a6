// A small WebGL2 plot: round points and straight lines in one canvas, drawn on demand (no animation loop:
// software rendering here costs ~1 s per frame of 1M points, so we draw only when something changed).

const POINT_VS = `#version 300 es
in vec2 a_pos; in vec4 a_color;
uniform vec2 u_center; uniform vec2 u_scale; uniform float u_size;
out vec4 v_color;
void main() {
  gl_Position = vec4((a_pos - u_center) * u_scale, 0.0, 1.0);
  gl_PointSize = u_size;
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
const LINE_FS = `#version 300 es
precision mediump float;
in vec4 v_color; out vec4 outColor;
void main() { outColor = v_color; }`;

/** Maps data coordinates to clip space: clip = (p − center) · scale. */
export interface Transform { cx: number; cy: number; sx: number; sy: number }

interface Layer {
  pos: WebGLBuffer; color: WebGLBuffer; count: number; size: number; mode: 'points' | 'lines'; vao: WebGLVertexArrayObject;
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
  transform: Transform = { cx: 0, cy: 0, sx: 1, sy: 1 };
  /** Frames drawn so far, and a callback after each. */
  frames = 0;
  onDrawn: (() => void) | null = null;

  constructor(canvas: HTMLCanvasElement) {
    this.canvas = canvas;
    const gl = canvas.getContext('webgl2', { antialias: false, alpha: false, preserveDrawingBuffer: false });
    if (!gl) throw new Error('WebGL2 is not available in this browser');
    this.gl = gl;
    this.pointProgram = compile(gl, POINT_VS, POINT_FS);
    this.lineProgram = compile(gl, POINT_VS, LINE_FS);
  }

  /** Device pixels per CSS pixel used for the backing store. */
  get dpr() { return window.devicePixelRatio || 1; }

  /** Size of the canvas in CSS pixels. */
  get cssSize() { return { w: this.canvas.clientWidth, h: this.canvas.clientHeight }; }

  /** positions [n·2] data xy; colors [n·4] RGBA bytes; for lines n is 2 × the number of segments. */
  setLayer(name: string, mode: 'points' | 'lines', positions: Float32Array, colors: Uint8Array, size = 1) {
    const gl = this.gl;
    let layer = this.layers.get(name);
    if (!layer) {
      const vao = gl.createVertexArray()!;
      const pos = gl.createBuffer()!, color = gl.createBuffer()!;
      gl.bindVertexArray(vao);
      gl.bindBuffer(gl.ARRAY_BUFFER, pos);
      gl.enableVertexAttribArray(0);
      gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
      gl.bindBuffer(gl.ARRAY_BUFFER, color);
      gl.enableVertexAttribArray(1);
      gl.vertexAttribPointer(1, 4, gl.UNSIGNED_BYTE, true, 0, 0);
      gl.bindVertexArray(null);
      layer = { pos, color, vao, count: 0, size, mode };
      this.layers.set(name, layer);
      this.order.push(name);
    }
    gl.bindBuffer(gl.ARRAY_BUFFER, layer.pos);
    gl.bufferData(gl.ARRAY_BUFFER, positions, gl.STATIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, layer.color);
    gl.bufferData(gl.ARRAY_BUFFER, colors, gl.STATIC_DRAW);
    layer.count = positions.length / 2;
    layer.size = size;
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
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    const t = this.transform;
    for (const name of this.order) {
      const layer = this.layers.get(name)!;
      if (!layer.count) continue;
      const program = layer.mode === 'points' ? this.pointProgram : this.lineProgram;
      gl.useProgram(program);
      gl.uniform2f(gl.getUniformLocation(program, 'u_center'), t.cx, t.cy);
      gl.uniform2f(gl.getUniformLocation(program, 'u_scale'), t.sx, t.sy);
      gl.uniform1f(gl.getUniformLocation(program, 'u_size'), layer.size * this.dpr);
      gl.bindVertexArray(layer.vao);
      gl.drawArrays(layer.mode === 'points' ? gl.POINTS : gl.LINES, 0, layer.count);
    }
    gl.bindVertexArray(null);
    this.frames++;
    this.onDrawn?.();
  }

  /** CSS pixel position (relative to the canvas) of a data point under the current transform. */
  toScreen(x: number, y: number) {
    const { w, h } = this.cssSize, t = this.transform;
    return { x: ((x - t.cx) * t.sx + 1) * 0.5 * w, y: (1 - (y - t.cy) * t.sy) * 0.5 * h };
  }

  /** Data coordinates under a CSS pixel position relative to the canvas. */
  toData(px: number, py: number) {
    const { w, h } = this.cssSize, t = this.transform;
    return { x: (px / w * 2 - 1) / t.sx + t.cx, y: (1 - py / h * 2) / t.sy + t.cy };
  }
}
