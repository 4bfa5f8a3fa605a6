// Cameras of the head view. Both give the plot's data → clip matrix for a canvas of w × h CSS px.
// PanZoom2D: drag pans, wheel zooms around the cursor. Orbit3D: drag rotates around a target, wheel moves the eye
// nearer or farther, shift-drag or right-drag pans the target; perspective projection.
import type { Mat4 } from './gl';

/** Axis-aligned bounds of the points: [min, max] per axis (z = 0 in 2D). */
export interface Bounds { min: [number, number, number]; max: [number, number, number] }

export interface Camera {
  readonly dims: 2 | 3;
  fit(b: Bounds, w: number, h: number): void;
  matrix(w: number, h: number): Mat4;
  /** a drag by (dx, dy) CSS px; pan = shift or right button */
  drag(dx: number, dy: number, pan: boolean, w: number, h: number): void;
  /** a wheel step at canvas position (px, py) */
  zoom(px: number, py: number, deltaY: number, w: number, h: number): void;
  /** 3D: the eye's distance to the target (points scale with it); 0 in 2D */
  readonly refW: number;
}

export class PanZoom2D implements Camera {
  readonly dims = 2;
  readonly refW = 0;
  /** clip = (p − c) · s */
  cx = 0; cy = 0; sx = 1; sy = 1;

  fit(b: Bounds, w: number, h: number) {
    const k = 0.92 * Math.min(w / Math.max(b.max[0] - b.min[0], 1e-12), h / Math.max(b.max[1] - b.min[1], 1e-12)); // px per unit
    this.cx = (b.min[0] + b.max[0]) / 2; this.cy = (b.min[1] + b.max[1]) / 2;
    this.sx = 2 * k / w; this.sy = 2 * k / h;
  }

  matrix(): Mat4 {
    return new Float32Array([this.sx, 0, 0, 0, 0, this.sy, 0, 0, 0, 0, 1, 0, -this.cx * this.sx, -this.cy * this.sy, 0, 1]);
  }

  drag(dx: number, dy: number, _pan: boolean, w: number, h: number) {
    this.cx -= dx * 2 / (w * this.sx);
    this.cy += dy * 2 / (h * this.sy);
  }

  zoom(px: number, py: number, deltaY: number, w: number, h: number) {
    // The data point under the cursor stays under it.
    const dx = (px / w * 2 - 1) / this.sx + this.cx, dy = (1 - py / h * 2) / this.sy + this.cy;
    const f = Math.exp(-deltaY * 0.0015);
    this.sx *= f; this.sy *= f;
    this.cx = dx - (px / w * 2 - 1) / this.sx;
    this.cy = dy - (1 - py / h * 2) / this.sy;
  }
}

const FOV = Math.PI / 4; // vertical field of view
const ROTATE_PER_PX = 0.008; // radians

export class Orbit3D implements Camera {
  readonly dims = 3;
  target: [number, number, number] = [0, 0, 0];
  /** rotation around the vertical axis and elevation, radians */
  yaw = 0.6; pitch = 0.35;
  distance = 1;
  private radius = 1;

  get refW() { return this.distance; }

  fit(b: Bounds, w: number, h: number) {
    this.target = [0, 1, 2].map((i) => (b.min[i] + b.max[i]) / 2) as [number, number, number];
    // The bounding sphere fills the smaller of the two fields of view.
    this.radius = Math.max(1e-9, 0.5 * Math.hypot(b.max[0] - b.min[0], b.max[1] - b.min[1], b.max[2] - b.min[2]));
    const fovMin = Math.min(FOV, 2 * Math.atan(Math.tan(FOV / 2) * w / h));
    this.distance = 1.05 * this.radius / Math.sin(fovMin / 2);
  }

  /** Eye position and the camera's right / up / back unit vectors. */
  basis() {
    const cp = Math.cos(this.pitch), sp = Math.sin(this.pitch), cy = Math.cos(this.yaw), sy = Math.sin(this.yaw);
    const back: [number, number, number] = [cp * sy, sp, cp * cy];           // from target towards the eye
    const right: [number, number, number] = [cy, 0, -sy];
    const up: [number, number, number] = [-sp * sy, cp, -sp * cy];           // back × right
    const eye = [0, 1, 2].map((i) => this.target[i] + this.distance * back[i]) as [number, number, number];
    return { eye, right, up, back };
  }

  matrix(w: number, h: number): Mat4 {
    const { eye, right: r, up: u, back: b } = this.basis();
    const near = Math.max(this.distance - 2 * this.radius, this.distance * 0.01), far = this.distance + 2 * this.radius;
    const f = 1 / Math.tan(FOV / 2), a = w / h;
    const dot = (v: number[]) => v[0] * eye[0] + v[1] * eye[1] + v[2] * eye[2];
    // view = rows r, u, b and translation −(row · eye); then the usual OpenGL perspective.
    const view = [r[0], u[0], b[0], 0, r[1], u[1], b[1], 0, r[2], u[2], b[2], 0, -dot(r), -dot(u), -dot(b), 1];
    const p00 = f / a, p11 = f, p22 = (far + near) / (near - far), p32 = 2 * far * near / (near - far);
    const m = new Float32Array(16);
    for (let c = 0; c < 4; c++) {
      const x = view[4 * c], y = view[4 * c + 1], z = view[4 * c + 2], wv = view[4 * c + 3];
      m[4 * c] = p00 * x;
      m[4 * c + 1] = p11 * y;
      m[4 * c + 2] = p22 * z + p32 * wv;
      m[4 * c + 3] = -z;
    }
    return m;
  }

  drag(dx: number, dy: number, pan: boolean, _w: number, h: number) {
    if (pan) {
      // One CSS px at the target's depth, in data units; the target moves against the drag.
      const unit = 2 * this.distance * Math.tan(FOV / 2) / h;
      const { right, up } = this.basis();
      for (let i = 0; i < 3; i++) this.target[i] += (-dx * right[i] + dy * up[i]) * unit;
      return;
    }
    this.yaw -= dx * ROTATE_PER_PX;
    this.pitch = Math.max(-1.55, Math.min(1.55, this.pitch + dy * ROTATE_PER_PX));
  }

  zoom(_px: number, _py: number, deltaY: number) {
    this.distance = Math.max(this.radius * 0.05, this.distance * Math.exp(deltaY * 0.0015));
  }
}
